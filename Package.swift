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
        .library(name: "SparkhookLibraries", targets: ["HTTPServer", "Admission", "YAML", "Policy", "Webhook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CTLS", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "CPosix"),
        // SSE2 byte classes for the JSON structural index (intrinsics are not callable from Swift).
        .target(name: "CScan"),
        .target(name: "HTTPServer", dependencies: ["CTLS", "CPosix"]),
        .target(name: "YAML", dependencies: ["CYAML", "Admission"]),
        .target(name: "Admission", dependencies: ["CScan"]),
        .target(name: "Policy", dependencies: ["YAML", "Admission"]),
        .target(name: "Webhook", dependencies: ["HTTPServer", "Policy", "Admission", "CPosix"]),
        .executableTarget(name: "sparkhook", dependencies: [
            "Webhook", "Policy", "Admission", "HTTPServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A trivial handler behind the real server, for the server-core tests and benchmarks.
        .executableTarget(name: "http-echo", dependencies: ["HTTPServer"]),
        // `make bench`: time and allocations per admission decision; the C target counts mallocs.
        .target(name: "CMallocCounter"),
        .executableTarget(name: "sparkhook-bench", dependencies: ["Policy", "Admission", "CMallocCounter"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "AdmissionTests", dependencies: ["Admission"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Admission", "YAML"]),
    ]
)
