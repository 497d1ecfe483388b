#!/usr/bin/env bash
# image/build.sh: `make image`. Builds the Dockerfile with buildah, no Docker engine and no container
# registry needed, and writes an OCI archive (default .build/image/sparkhook.tar) holding IMAGE.
#
# Where a registry is reachable, SWIFT_IMAGE and RUNTIME_IMAGE name the usual bases (the
# Dockerfile's defaults) and nothing else happens here but the build. Otherwise (LOCAL_BASES=1, the
# default) both bases are made from Debian's packages with debootstrap:
#   localhost/swift:SWIFT_VERSION-bookworm: bookworm with what the toolchain and the build need; the
#     toolchain itself is this machine's (it must be SWIFT_VERSION, the one CI tests with), bind
#     mounted into the build's RUN steps rather than copied (3 GB), with this machine's package mirror
#     when git is set to read github.com from one;
#   localhost/distroless-cc:bookworm: what distroless/cc-debian12:nonroot holds (glibc, libgcc,
#     libstdc++, OpenSSL 3, CA certificates, passwd with nonroot 65532), taken from the same packages.
# Environment: VERSION, REVISION, IMAGE, OUT, SWIFT_VERSION (from the Dockerfile), DEBIAN_MIRROR,
# IMAGE_WORK (buildah's private storage, the Debian root), LOCAL_BASES.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '%s image: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

VERSION=${VERSION:?VERSION is set by make image}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
IMAGE=${IMAGE:-sparkhook:$VERSION}
OUT=${OUT:-.build/image/sparkhook.tar}
SWIFT_VERSION=${SWIFT_VERSION:-$(sed -n 's/^ARG SWIFT_VERSION=//p' Dockerfile)}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${IMAGE_WORK:-$PWD/.build/image/work}
LOCAL_BASES=${LOCAL_BASES:-1}
command -v buildah >/dev/null || die "needs buildah (apt-get install buildah), or build the Dockerfile with Docker: see README, Deploying"
[ "$(id -u)" = 0 ] || die "buildah with --isolation chroot and vfs storage runs as root here"

mkdir -p "$WORK" "$(dirname "$OUT")"
# Private storage: nothing outside the build folder is read or written (vfs: no overlay mounts,
# which a container without CAP_SYS_ADMIN in its user namespace cannot make).
B=(buildah --root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
build_args=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "SWIFT_VERSION=$SWIFT_VERSION")
volumes=()

if [ "$LOCAL_BASES" = 1 ]; then
  swift=$(command -v swift) || die "needs the Swift $SWIFT_VERSION toolchain on PATH (or LOCAL_BASES=0 with a registry)"
  swift --version 2>&1 | grep -q "Swift version $SWIFT_VERSION[ (]" \
    || die "the Dockerfile names Swift $SWIFT_VERSION, this machine has: $(swift --version 2>&1 | head -1)"
  toolchain=$(cd "$(dirname "$(readlink -f "$swift")")/../.." && pwd)   # /opt/swift for /opt/swift/usr/bin/swift
  command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"

  # What the toolchain's programs link (swift-build: curl, xml2, sqlite, ncurses; lld: xml2; all:
  # libstdc++, zlib, uuid), the C side of a build (gcc's crt files and libgcc, libc headers, binutils
  # for strip), git for `swift package resolve`, and the project's system libraries.
  packages=binutils,gcc,libc6-dev,libstdc++-12-dev,zlib1g-dev,libuuid1,libcurl4,libxml2,libedit2,libsqlite3-0,libncurses6,libpython3.11,git,ca-certificates,pkg-config,libssl-dev,libyaml-dev
  # The runtime base: these packages' files, less documentation, locales and gconv's charset modules
  # (distroless also has tzdata and netbase: sparkhook logs in UTC and resolves no names).
  runtime_packages="libc6 libgcc-s1 libstdc++6 libssl3 ca-certificates base-files"
  # Made again each week, so that the bases carry the week's security updates.
  stamp="bookworm $packages $runtime_packages $DEBIAN_MIRROR $(date +%G-W%V)"
  root=$WORK/debian
  if [ "$(cat "$root.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "debootstrap bookworm (minbase) from $DEBIAN_MIRROR, with security updates"
    # An interrupted debootstrap leaves proc and sys mounted in the root: never delete through them.
    awk -v w="$root/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" || true; done
    rm -rf --one-file-system "$root" "$root.stamp"
    debootstrap --variant=minbase --include="$packages" bookworm "$root" "$DEBIAN_MIRROR" > "$WORK/debootstrap.log" 2>&1 \
      || die "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
    security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$DEBIAN_MIRROR" "$DEBIAN_MIRROR" "$security" > "$root/etc/apt/sources.list"
    { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get upgrade -y -qq; } \
      >> "$WORK/debootstrap.log" 2>&1 || die "apt-get upgrade in the Debian root failed: $(tail -5 "$WORK/debootstrap.log")"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    echo "$stamp" > "$root.stamp"
  fi

  # commit_dir NAME DIR [buildah config flags...]: an image whose one layer is DIR.
  commit_dir() {
    local name=$1 dir=$2 c m; shift 2
    c=$("${B[@]}" from --quiet scratch)
    m=$("${B[@]}" mount "$c")
    cp -a "$dir"/. "$m"/
    "${B[@]}" umount "$c" >/dev/null
    [ $# = 0 ] || "${B[@]}" config "$@" "$c"
    "${B[@]}" commit --quiet --rm "$c" "$name" >/dev/null
    log "base $name ($(du -sh "$dir" | cut -f1))"
  }

  swift_image=localhost/swift:$SWIFT_VERSION-bookworm
  runtime_image=localhost/distroless-cc:bookworm
  # The bases are made again when what makes them changes: the packages, the mirror or this script.
  key=$( { echo "$stamp"; cat "$0"; } | sha256sum | cut -c1-16)
  if [ "$(cat "$WORK/bases.key" 2>/dev/null)" != "$key" ]; then
    "${B[@]}" rmi -f "$swift_image" "$runtime_image" >/dev/null 2>&1 || true
  fi
  if ! "${B[@]}" inspect --type image "$swift_image" >/dev/null 2>&1; then
    # The mirror git uses for github.com here (none elsewhere): the build resolves packages as
    # this machine does.
    { git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true; } \
      | while read -r key value; do git config --file "$root/etc/gitconfig" --add "$key" "$value"; done
    commit_dir "$swift_image" "$root" --env "PATH=$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  fi
  volumes+=(--volume "$toolchain:$toolchain:ro")
  mirror=$( { git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true; } | head -1 | sed -E 's/^url\.(.*)\.insteadof .*/\1/')
  if [ -n "$mirror" ] && [ -d "$mirror" ]; then volumes+=(--volume "${mirror%/}:${mirror%/}:ro"); fi

  if ! "${B[@]}" inspect --type image "$runtime_image" >/dev/null 2>&1; then
    rt=$WORK/runtime
    rm -rf "$rt"; mkdir -p "$rt"/{etc,tmp,home/nonroot}
    # usrmerge: /bin, /lib, /lib64 and /sbin are links into /usr on bookworm; the packages still
    # list the old paths, so each file is copied to where it really is, and the links come along.
    for l in bin lib lib64 sbin; do
      if [ -L "$root/$l" ]; then cp -a "$root/$l" "$rt/$l"; mkdir -p "$rt/$(readlink -f "$root/$l" | sed "s#^$root/##")"; fi
    done
    # shellcheck disable=SC2086
    chroot "$root" dpkg-query -L $runtime_packages | sort -u | while read -r f; do
      case "$f" in /usr/share/doc/*|/usr/share/man/*|/usr/share/lintian/*|/usr/share/locale/*|/usr/share/info/*|*/gconv/*) continue;; esac
      case "$f" in /bin|/lib|/lib64|/sbin) continue;; esac   # the links, made above
      dir=$(readlink -f "$root$(dirname "$f")") || continue
      real=${dir#"$root"}/$(basename "$f")
      { [ -L "$root$real" ] || [ -f "$root$real" ]; } || continue
      mkdir -p "$rt${dir#"$root"}"; cp -a "$root$real" "$rt$real"
    done
    cp -a "$root"/etc/ssl "$rt"/etc/ 2>/dev/null || true
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$rt/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$rt/etc/group"
    chown 65532:65532 "$rt/home/nonroot"; chmod 1777 "$rt/tmp"
    commit_dir "$runtime_image" "$rt" --user 65532:65532 --workingdir /home/nonroot
  fi
  echo "$key" > "$WORK/bases.key"
  build_args+=(--build-arg "SWIFT_IMAGE=$swift_image" --build-arg "RUNTIME_IMAGE=$runtime_image")
else
  [ -n "${SWIFT_IMAGE:-}" ] && build_args+=(--build-arg "SWIFT_IMAGE=$SWIFT_IMAGE")
  [ -n "${RUNTIME_IMAGE:-}" ] && build_args+=(--build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
fi

log "buildah bud -t $IMAGE (Swift $SWIFT_VERSION, version $VERSION, revision ${REVISION:0:12})"
pull=always; [ "$LOCAL_BASES" = 1 ] && pull=never
"${B[@]}" bud --quiet --isolation chroot --pull="$pull" --layers=false "${build_args[@]}" "${volumes[@]}" \
  -t "$IMAGE" -f Dockerfile . > "$WORK/bud.log" 2>&1 || { tail -40 "$WORK/bud.log" >&2; die "buildah bud failed (log: $WORK/bud.log)"; }
# The archive names the image in full, as Docker would resolve it (sparkhook:0.1.0 is
# docker.io/library/sparkhook:0.1.0): `ctr images import` and `kind load` keep the name as written,
# and the kubelet looks an image up by its full name.
full=$IMAGE
first=${IMAGE%%/*}
if [[ $IMAGE != */* ]]; then full=docker.io/library/$IMAGE
elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then full=docker.io/$IMAGE; fi
rm -f "$OUT"
"${B[@]}" push --quiet "$IMAGE" "oci-archive:$OUT:$full" >/dev/null
log "wrote $OUT ($full, $(du -h "$OUT" | cut -f1))"
