// A value built from files and rebuilt when they change: the current one is swapped only when the
// new one builds; a version that fails to build is remembered, so it is reported once and the last
// good value stays in use. Certificates and policies both reload this way.
import Synchronization

/// What a reload did, for every value reloaded from files (certificates, policies).
public enum ReloadResult<Value: Sendable>: Sendable {
    case unchanged
    /// The value now in use.
    case reloaded(Value)
    /// Why the files were refused; the last good value stays in use.
    case refused(String)
}

public final class FileBackedValue<Value: Sendable>: Sendable {
    public let paths: [String]
    private let build: @Sendable () throws -> Value
    private let state: Mutex<(value: Value, fingerprint: FileFingerprint, refused: FileFingerprint?)>

    /// Builds the first value or throws: a server does not start on a broken file.
    public init(paths: [String], build: @escaping @Sendable () throws -> Value) throws {
        self.paths = paths
        self.build = build
        let fingerprint = FileFingerprint(paths: paths)
        state = Mutex((try build(), fingerprint, nil))
    }

    public var current: Value { state.withLock { $0.value } }

    /// Rebuilds when the files changed since the last build or refusal, or always when `force`.
    /// `update` turns the freshly built value and the previous one into the value to keep. A new
    /// value that `same` finds equal to the one in use is `unchanged`: a folder's entries change
    /// (a kubelet's swap, an editor's temporary file) more often than what is read from it, and
    /// a reload that changes nothing must not count as one.
    public func reload(force: Bool = false, same: (Value, Value) -> Bool = { _, _ in false },
                       update: (Value, Value) -> Value = { new, _ in new }) -> ReloadResult<Value> {
        let fingerprint = FileFingerprint(paths: paths)
        let seen = state.withLock { $0.fingerprint == fingerprint || $0.refused == fingerprint }
        if seen && !force { return .unchanged }
        do {
            let built = try build()
            return state.withLock {
                if same(built, $0.value) {
                    $0 = ($0.value, fingerprint, nil)
                    return .unchanged
                }
                $0 = (update(built, $0.value), fingerprint, nil)
                return .reloaded($0.value)
            }
        } catch {
            state.withLock { $0.refused = fingerprint }
            return .refused(String(describing: error))
        }
    }
}
