// The policy in force. A reload builds a whole new PolicySet and swaps it in between requests;
// an invalid policy is refused and the last good one keeps serving.
import HTTPServer
import Policy
import Synchronization

public final class PolicyStore: Sendable {
    public struct Snapshot: Sendable {
        public let policy: PolicySet
        public let generation: Int
    }

    public enum ReloadResult: Sendable, Equatable {
        case unchanged
        case reloaded(generation: Int)
        case refused(String)
    }

    public let path: String
    private let state: Mutex<(snapshot: Snapshot, fingerprint: FileFingerprint, refused: FileFingerprint?)>

    /// Loads the policy or throws PolicyError: starting with an invalid policy fails fast.
    public init(path: String) throws {
        self.path = path
        let fingerprint = FileFingerprint(paths: [path])
        let policy = try PolicyLoader.load(path: path)
        state = Mutex((Snapshot(policy: policy, generation: 1), fingerprint, nil))
    }

    public var current: Snapshot { state.withLock { $0.snapshot } }

    /// Reloads when the files changed since the last load or refusal, or always when `force`.
    public func reload(force: Bool = false) -> ReloadResult {
        let fingerprint = FileFingerprint(paths: [path])
        let seen = state.withLock { $0.fingerprint == fingerprint || $0.refused == fingerprint }
        if seen && !force { return .unchanged }
        do {
            let policy = try PolicyLoader.load(path: path)
            return state.withLock {
                $0.snapshot = Snapshot(policy: policy, generation: $0.snapshot.generation + 1)
                $0.fingerprint = fingerprint
                $0.refused = nil
                return .reloaded(generation: $0.snapshot.generation)
            }
        } catch {
            state.withLock { $0.refused = fingerprint }
            return .refused(String(describing: error))
        }
    }
}
