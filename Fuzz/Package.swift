// swift-tools-version:6.0
// libFuzzer targets for sparkhook's parsers, a package of their own: each links libFuzzer's main,
// so they build only with `-sanitize=fuzzer` (see `make fuzz`), never in the product's build.
import PackageDescription

let fuzzTarget: (String) -> Target = { name in
    .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "SparkhookLibraries", package: "sparkhook")],
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "sparkhook-fuzz",
    dependencies: [.package(name: "sparkhook", path: "..")],
    targets: [.target(name: "FuzzSupport", dependencies: [.product(name: "SparkhookLibraries", package: "sparkhook")])] + ["fuzz-http", "fuzz-admission", "fuzz-policy", "fuzz-preview"].map(fuzzTarget)
)
