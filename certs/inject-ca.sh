#!/usr/bin/env bash
# Fills the webhook configuration's caBundle with a CA certificate: reads rendered manifests on
# stdin, writes them on stdout. Usage:
#   kubectl kustomize manifests | certs/inject-ca.sh certs/ca.crt | kubectl apply -f -
set -euo pipefail
ca=${1:-$(dirname "$0")/ca.crt}
[[ -s "$ca" ]] || { echo "inject-ca: no CA certificate at $ca (run make certs)" >&2; exit 1; }
openssl x509 -in "$ca" -noout 2>/dev/null || { echo "inject-ca: $ca is not a PEM certificate" >&2; exit 1; }
bundle=$(base64 -w0 < "$ca")
found=0
while IFS= read -r line; do
  if [[ "$line" =~ ^([[:space:]]*)caBundle:[[:space:]]*(\"\"|\'\')?[[:space:]]*$ ]]; then
    printf '%scaBundle: %s\n' "${BASH_REMATCH[1]}" "$bundle"
    found=1
  else
    printf '%s\n' "$line"
  fi
done
[[ $found == 1 ]] || { echo "inject-ca: no empty caBundle found in the input" >&2; exit 1; }
