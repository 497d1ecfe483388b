// Where a server is in its shutdown: moved on by the server (SIGTERM: draining, then stopping),
// read by its loops on every answer and at the end of every round. A drain is also told to its
// readiness, so that /readyz turns false the moment the loops start closing connections; the
// drain's own flag stays here, so that one Readiness shared by two servers cannot make the second
// skip its drain.
import Synchronization

final class ShutdownState: Sendable {
    let readiness: Readiness
    private let draining = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// While draining: when a request was last answered (or the drain began), for the idle rule.
    private let quietSince = Atomic<UInt64>(0)
    private let deadlineNanos = Atomic<UInt64>(.max)

    init(readiness: Readiness = Readiness()) { self.readiness = readiness }

    /// Starts the drain at `now`; false when it had started already.
    func beginDraining(now: UInt64) -> Bool {
        guard !isDraining else { return false }
        quietSince.store(now, ordering: .relaxed)
        guard !draining.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        _ = readiness.beginDraining()
        return true
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }
    /// The drain as the idle rule sees it; nil when not draining.
    var drain: ConnectionState.Drain? { isDraining ? .init(quietSince: quietSince.load(ordering: .relaxed)) : nil }
    /// A request was answered while draining (only then: nothing is stored per request otherwise).
    func answeredWhileDraining(now: UInt64) { quietSince.store(now, ordering: .relaxed) }

    /// Starts stopping, with loops to end by `deadline`; false when it had started already.
    func beginStopping(deadline: () -> UInt64) -> Bool {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        deadlineNanos.store(deadline(), ordering: .relaxed)
        return true
    }

    /// From `beginStopping` on: the listeners are left, and the loops stop when their connections
    /// are gone or the deadline has passed.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }
    var deadline: UInt64 { deadlineNanos.load(ordering: .relaxed) }
}
