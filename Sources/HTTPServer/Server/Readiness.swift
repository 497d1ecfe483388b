// Whether a server serves: from `start` until draining begins. An object of its own, made before
// the server, so that the handler answering /readyz can be given it when it is built.
import Synchronization

public final class Readiness: Sendable {
    private let started = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    public init() {}

    /// The readiness signal.
    public var isServing: Bool { started.load(ordering: .acquiring) && !isDraining }
    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    func serving() { started.store(true, ordering: .releasing) }
    /// True for the call that began the drain.
    func beginDraining() -> Bool { !draining.exchange(true, ordering: .acquiringAndReleasing) }
}
