# sparkhook image: built with the Swift toolchain image, run on slim Debian with only the
# shared libraries it needs (OpenSSL 3, libyaml), as a non-root user.
ARG SWIFT_IMAGE=swift:6.1-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev libyaml-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
# The package declares its test targets too, and SwiftPM refuses a package whose targets' folders
# are missing; the tests are not built.
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product sparkhook \
    && install -D .build/release/sparkhook /out/sparkhook

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libyaml-0-2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/sparkhook /usr/local/bin/sparkhook
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/sparkhook"]
CMD ["serve", "--listen=0.0.0.0:8443", "--tls-cert=/etc/sparkhook/tls/tls.crt", "--tls-key=/etc/sparkhook/tls/tls.key", "--policy=/etc/sparkhook/policy"]
