#!/usr/bin/env bash
# image/spark/build.sh: `make spark-image`. The Spark image of the real-Spark tier (make test-spark),
# built from image/spark/Dockerfile with buildah as image/build.sh builds sparkhook's: no Docker
# engine, no registry, private vfs storage under .build/image/spark-work, root. Writes an OCI
# archive (default .build/image/spark.tar) holding SPARK_IMAGE (image/spark/versions).
#   base: DEBIAN_SUITE minbase made by debootstrap from Debian's packages (localhost/debian:SUITE-minbase);
#   Java and Python: Debian's packages, installed by the Dockerfile's apt-get;
#   Spark: PyPI's pyspark sdist, downloaded once into .build/image/spark-dist (the host's
#     spark-submit venv installs the same file) and mounted into the build at /dist.
# Cached: the archive is rebuilt only when its key changes: the versions, the Dockerfile, the
# entrypoint, this script and the mirror (FORCE=1 rebuilds).
# Environment: OUT, DEBIAN_MIRROR, SPARK_IMAGE_WORK, FORCE.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { printf '%s spark-image: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck source=versions
. image/spark/versions
OUT=${OUT:-.build/image/spark.tar}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${SPARK_IMAGE_WORK:-$PWD/.build/image/spark-work}
DIST=${SPARK_DIST:-$PWD/.build/image/spark-dist}
key=$( { cat image/spark/versions image/spark/Dockerfile image/spark/entrypoint.sh "$0"; echo "$DEBIAN_MIRROR"; } | sha256sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && [ -f "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ]; then
  log "$OUT is up to date ($SPARK_IMAGE, key $key)"
  exit 0
fi
command -v buildah >/dev/null || die "needs buildah (apt-get install buildah), or build image/spark/Dockerfile with Docker: see README"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] || die "buildah with --isolation chroot and vfs storage runs as root here"
started=$(date +%s)
mkdir -p "$WORK" "$DIST" "$(dirname "$OUT")"
B=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)

# pyspark's sdist (455 MB) and py4j, once: the image and the host's spark-submit share them.
if ! ls "$DIST"/pyspark-"$PYSPARK_VERSION".tar.gz >/dev/null 2>&1; then
  log "pip download pyspark==$PYSPARK_VERSION"
  python3 -m pip download --quiet --dest "$DIST" "pyspark==$PYSPARK_VERSION" > "$WORK/pip.log" 2>&1 \
    || die "pip download failed: $(tail -5 "$WORK/pip.log")"
fi

base=localhost/debian:$DEBIAN_SUITE-minbase
stamp="$DEBIAN_SUITE minbase $DEBIAN_MIRROR"
root=$WORK/debian
if [ "$(cat "$root.stamp" 2>/dev/null)" != "$stamp" ] || ! "${B[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  log "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR"
  rm -rf "$root" "$root.stamp"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  "${B[@]}" rmi -f "$base" >/dev/null 2>&1 || true
  c=$("${B[@]}" from --quiet scratch)
  m=$("${B[@]}" mount "$c")
  cp -a "$root"/. "$m"/
  "${B[@]}" umount "$c" >/dev/null
  "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$c"
  "${B[@]}" commit --quiet --rm "$c" "$base" >/dev/null
  echo "$stamp" > "$root.stamp"
  log "base $base ($(du -sh "$root" | cut -f1))"
fi

log "buildah bud -t $SPARK_IMAGE (Spark $SPARK_VERSION from pyspark $PYSPARK_VERSION, $DEBIAN_SUITE: $DEBIAN_PACKAGES)"
"${B[@]}" rmi -f "$SPARK_IMAGE" >/dev/null 2>&1 || true
"${B[@]}" bud --quiet --isolation chroot --pull=never --layers=false \
  --build-arg "BASE_IMAGE=$base" --volume "$DIST:/dist:ro" \
  -t "$SPARK_IMAGE" -f image/spark/Dockerfile image/spark > "$WORK/bud.log" 2>&1 \
  || { tail -40 "$WORK/bud.log" >&2; die "buildah bud failed (log: $WORK/bud.log)"; }
rm -f "$OUT" "$OUT.key"
# Named in full (localhost/...): the kubelet looks the image up by the name it was imported under.
"${B[@]}" push --quiet "$SPARK_IMAGE" "oci-archive:$OUT:$SPARK_IMAGE" >/dev/null
echo "$key" > "$OUT.key"
log "wrote $OUT ($SPARK_IMAGE, $(du -h "$OUT" | cut -f1)) in $(( $(date +%s) - started )) s"
