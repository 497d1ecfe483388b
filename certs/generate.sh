#!/usr/bin/env bash
# Development certificates: a CA and a serving certificate for the in-cluster Service name and
# loopback, made with the openssl command line. Usage: certs/generate.sh [OUTDIR]
# Env: SERVICE (sparkhook), NAMESPACE (sparkhook-system), DAYS (365), FORCE=1 to overwrite,
# KEY_TYPE=ecdsa (P-256, the default, as the cert-manager overlay) or KEY_TYPE=rsa (RSA-2048),
# RENEW=1: a new serving certificate from the CA already in OUTDIR (the webhooks' caBundle stays).
# A full TLS handshake signs with the server's key: with P-256 it costs the server ~40% less CPU.
set -euo pipefail
out=${1:-$(dirname "$0")}
service=${SERVICE:-sparkhook}
namespace=${NAMESPACE:-sparkhook-system}
days=${DAYS:-365}
case ${KEY_TYPE:-ecdsa} in
  ecdsa) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) usage=digitalSignature ;;
  rsa) newkey=(-newkey rsa:2048) usage=digitalSignature,keyEncipherment ;;
  *) echo "generate.sh: KEY_TYPE is ecdsa or rsa, not '$KEY_TYPE'" >&2; exit 2 ;;
esac
mkdir -p "$out"
if [[ -f "$out/tls.crt" && -f "$out/tls.key" && -z "${FORCE:-}${RENEW:-}" ]]; then
  echo "certificates already in $out (FORCE=1 to replace)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${RENEW:-} ]]; then
  [[ -f "$out/ca.crt" && -f "$out/ca.key" ]] || { echo "generate.sh: RENEW=1 needs $out/ca.crt and $out/ca.key" >&2; exit 1; }
else
  openssl req -x509 "${newkey[@]}" -nodes -days "$days" -subj "/CN=sparkhook-dev-ca" \
    -keyout "$out/ca.key" -out "$out/ca.crt" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
cat > "$tmp/ext.cnf" <<CNF
basicConstraints=critical,CA:FALSE
keyUsage=critical,${usage}
extendedKeyUsage=serverAuth
subjectAltName=DNS:${service},DNS:${service}.${namespace},DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:::1
CNF
openssl req "${newkey[@]}" -nodes -subj "/CN=${service}.${namespace}.svc" \
  -keyout "$out/tls.key" -out "$tmp/tls.csr" 2>/dev/null
openssl x509 -req -in "$tmp/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
  -days "$days" -extfile "$tmp/ext.cnf" -out "$out/tls.crt" 2>/dev/null
rm -f "$out/ca.srl"
chmod 600 "$out/ca.key" "$out/tls.key"
echo "wrote $out/ca.crt, $out/tls.crt, $out/tls.key (SANs: ${service}.${namespace}.svc, localhost, 127.0.0.1, ::1)"
