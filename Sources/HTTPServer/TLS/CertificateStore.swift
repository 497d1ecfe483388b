// The TLS context new handshakes use, rebuilt when the PEM files change; a broken or mismatched
// pair is refused and the old context stays in use. Open connections keep the context they
// started with (each SSL holds a reference to it).

public final class CertificateStore: Sendable {
    public enum ReloadResult: Equatable, Sendable {
        case unchanged
        case reloaded
        case refused(String)
    }

    public let files: TLSFiles
    private let context: FileBackedValue<TLSContext>

    public init(files: TLSFiles) throws {
        self.files = files
        context = try FileBackedValue(paths: files.all) { try TLSContext(files: files) }
    }

    public var current: TLSContext { context.current }

    public func reloadIfChanged() -> ReloadResult {
        switch context.reload() {
        case .unchanged: return .unchanged
        case .reloaded: return .reloaded
        case .refused(let reason): return .refused(reason)
        }
    }
}
