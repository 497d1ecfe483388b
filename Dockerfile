# The sparkhook image the manifests run, and the one description of it.
#   With Docker or Podman (a registry reachable):  docker build --build-arg VERSION=0.1.0 -t sparkhook:0.1.0 .
#   Without (this project's machines and CI):      make image   (buildah, bases made from Debian's packages)
# SWIFT_VERSION is the toolchain CI tests with: `make image` refuses another, and so does the build
# stage below. The bases are build arguments; their defaults are the usual public images.
ARG SWIFT_VERSION=6.3.1
ARG SWIFT_IMAGE=swift:${SWIFT_VERSION}-bookworm
# glibc, libgcc, libstdc++, OpenSSL 3, CA certificates and a nonroot user (65532): all the binary
# needs but libyaml, which the build stage copies in. No shell, no package manager.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${SWIFT_IMAGE} AS build
ARG SWIFT_VERSION
ARG VERSION=
RUN swift --version 2>&1 | grep -q "Swift version ${SWIFT_VERSION}[ (]" \
    || { swift --version; echo "this image is built with Swift ${SWIFT_VERSION}, the toolchain CI tests" >&2; exit 1; }
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev libyaml-dev pkg-config binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
# The package declares its test targets too, and SwiftPM refuses a package whose targets' folders
# are missing; the tests are not built.
COPY Tests ./Tests
# The flags of `make release` (RELEASE_FLAGS), which CI builds every product with. Stripped: the
# symbols are half the binary's 30 MB; a crash still logs addresses, which the unstripped build
# of the same commit resolves.
RUN swift build -c release --static-swift-stdlib --product sparkhook \
    && install -D -m 755 .build/release/sparkhook /out/usr/local/bin/sparkhook \
    && strip --strip-all /out/usr/local/bin/sparkhook \
    && { [ -z "${VERSION}" ] || [ "$(/out/usr/local/bin/sparkhook --version)" = "${VERSION}" ] \
         || { echo "VERSION=${VERSION} but the source says $(/out/usr/local/bin/sparkhook --version)" >&2; exit 1; }; }
# libyaml, under its soname in the loader's path: the one library the runtime base does not have.
# The folder is the real one (/usr/lib/...), never /lib: on a merged-/usr base /lib is a link, and a
# /lib folder in this layer would replace it and hide the C library.
RUN lib=$(ldd /out/usr/local/bin/sparkhook | awk '/libyaml/ {print $3}') && [ -n "$lib" ] \
    && install -D -m 644 "$(readlink -f "$lib")" "/out$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"

FROM ${RUNTIME_IMAGE}
ARG VERSION=
ARG REVISION=
ARG SOURCE=https://github.com/sparkhook/sparkhook
LABEL org.opencontainers.image.title="sparkhook" \
      org.opencontainers.image.description="A mutating admission webhook for Apache Spark pods" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/sparkhook"]
CMD ["serve", "--listen=0.0.0.0:8443", "--tls-cert=/etc/sparkhook/tls/tls.crt", "--tls-key=/etc/sparkhook/tls/tls.key", "--policy=/etc/sparkhook/policy"]
