// The TLS context new handshakes use. `reloadIfChanged` builds a fresh context when the PEM
// files change; a broken or mismatched pair is refused and the old context stays in use.
// Open connections keep the context they started with (each SSL holds a reference to it).
import Synchronization

public final class CertificateStore: Sendable {
    public enum ReloadResult: Equatable, Sendable {
        case unchanged
        case reloaded
        case refused(String)
    }

    public let files: TLSFiles
    private let state: Mutex<(context: TLSContext, fingerprint: FileFingerprint, refused: FileFingerprint?)>

    public init(files: TLSFiles) throws {
        self.files = files
        let fingerprint = FileFingerprint(paths: files.all)
        state = Mutex((try TLSContext(files: files), fingerprint, nil))
    }

    public var current: TLSContext { state.withLock { $0.context } }

    public func reloadIfChanged() -> ReloadResult {
        let fingerprint = FileFingerprint(paths: files.all)
        let seen = state.withLock { $0.fingerprint == fingerprint || $0.refused == fingerprint }
        if seen { return .unchanged }
        do {
            let context = try TLSContext(files: files)
            state.withLock { $0 = (context, fingerprint, nil) }
            return .reloaded
        } catch {
            // Remember the refused version so it is reported once, not on every check.
            state.withLock { $0.refused = fingerprint }
            return .refused(String(describing: error))
        }
    }
}
