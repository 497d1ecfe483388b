// The policy in force. A reload builds a whole new PolicySet and swaps it in between requests;
// an invalid policy is refused and the last good one keeps serving.
import Policy
import Posix

public final class PolicyStore: Sendable {
    public struct Snapshot: Sendable {
        public let policy: PolicySet
        public let generation: Int
        /// Which policy this is, the same on every replica serving the same files (PolicyHash).
        public let hash: String
    }

    public let path: String
    private let snapshot: FileBackedValue<Snapshot>

    /// Loads the policy or throws PolicyError: starting with an invalid policy fails fast.
    public init(path: String) throws {
        self.path = path
        snapshot = try FileBackedValue(paths: [path]) {
            let (policy, hash) = try PolicyHash.load(path: path)
            return Snapshot(policy: policy, generation: 1, hash: hash)
        }
    }

    public var current: Snapshot { snapshot.current }

    /// Reloads when the files changed since the last load or refusal, or always when `force`; files
    /// that hash as the policy in force leave it (and its generation) as it is.
    public func reload(force: Bool = false) -> ReloadResult<Snapshot> {
        // The same bytes under the same names (the hash) are the policy in force already.
        snapshot.reload(force: force, same: { new, old in new.hash == old.hash }) { new, old in
            Snapshot(policy: new.policy, generation: old.generation + 1, hash: new.hash)
        }
    }
}
