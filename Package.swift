// swift-tools-version:6.0
// sparkhook: a mutating admission webhook for Apache Spark pods.
// One dependency beyond the toolchain: swift-argument-parser, for the command line.
import PackageDescription

let package = Package(
    name: "sparkhook",
    products: [
        .executable(name: "sparkhook", targets: ["sparkhook"]),
        // The libraries, for the fuzz targets in Fuzz/ (a package of their own: they build only
        // with the fuzzer's flags).
        .library(name: "SparkhookLibraries", targets: ["Posix", "HTTPServer", "JSON", "Admission", "YAML", "Policy", "Webhook"]),
    ],
    dependencies: [
        // Exact: the image and CI build the same code whatever is newest that day (Package.resolved
        // is not committed: the package mirror CI builds from has other commit ids than GitHub's).
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CTLS", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CPosix"),
        // SSE2 byte classes for the JSON structural index (intrinsics are not callable from Swift).
        .target(name: "CScan"),
        // The syscall funnel, whole-file reads, folder listing, file watching, keep-last-good
        // reloading, threads, the clock and the logger: below the server and the policy store.
        .target(name: "Posix", dependencies: ["CPosix"]),
        .target(name: "HTTPServer", dependencies: ["CTLS", "CPosix", "Posix"]),
        // A JSON library: lazy parser, writer, pointer, patch (diff, apply, check), base64.
        .target(name: "JSON", dependencies: ["CScan"]),
        .target(name: "YAML", dependencies: ["CYAML", "JSON"]),
        // AdmissionReview v1/v1beta1 and the keys of pods and reviews.
        .target(name: "Admission", dependencies: ["JSON"]),
        .target(name: "Policy", dependencies: ["YAML", "JSON", "Posix"]),
        // The webhook's job: review in, answer out (Decision), the endpoints, the policy store, metrics.
        .target(name: "Webhook", dependencies: ["HTTPServer", "Policy", "JSON", "Admission", "YAML", "Posix"]),
        // `sparkhook test`: policy test suites, run through the webhook's own decision.
        .target(name: "PolicyTest", dependencies: ["Webhook", "Policy", "JSON", "Admission", "YAML", "Posix"]),
        .executableTarget(name: "sparkhook", dependencies: [
            "Webhook", "Policy", "PolicyTest", "JSON", "Admission", "HTTPServer", "Posix",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A trivial handler behind the real server, for the server-core tests and benchmarks.
        .executableTarget(name: "http-echo", dependencies: ["HTTPServer", "Posix"]),
        // `make bench`: time and allocations per admission decision; the C target counts mallocs.
        .target(name: "CMallocCounter"),
        .executableTarget(name: "sparkhook-bench", dependencies: ["Webhook", "Policy", "JSON", "Admission", "Posix", "CMallocCounter"]),
        .testTarget(name: "PosixTests", dependencies: ["Posix"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Posix"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "Posix"]),
        .testTarget(name: "AdmissionTests", dependencies: ["Admission", "JSON"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "JSON", "Admission", "YAML", "Posix"]),
        .testTarget(name: "WebhookTests", dependencies: ["Webhook", "Policy", "JSON", "Admission", "HTTPServer"]),
    ]
)
