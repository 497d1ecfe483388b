// What the fuzz targets share: the example policies, and libFuzzer's driver. SwiftPM links an
// executable with its module's `<module>_main` as `main`, so libFuzzer's own main is not the one
// that runs: each target's main hands its test function to the driver, which then parses the
// flags and runs as usual.
import Policy

/// A policy of examples/, for the targets that decide on what they are fed.
public func examplePolicy(_ name: String) -> PolicySet {
    let root = #filePath.split(separator: "/").dropLast(4).joined(separator: "/")
    do { return try PolicyLoader.load(path: "/" + root + "/examples/" + name) } catch { fatalError("\(error)") }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

public func runFuzzer(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, test)
}
