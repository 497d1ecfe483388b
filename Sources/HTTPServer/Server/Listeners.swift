// The listening sockets all loops of a server poll (EPOLLEXCLUSIVE), closed by the last loop to
// stop polling them, so that no loop can accept on a descriptor number that was closed and reused.
import Synchronization

// Unchecked: the sockets are fixed at init and only read until the last loop closes them.
final class Listeners: @unchecked Sendable {
    let sockets: [Socket]
    private let polling: Atomic<Int>

    /// `loops`: how many loops poll them.
    init(_ sockets: [Socket], loops: Int) {
        self.sockets = sockets
        polling = Atomic(loops)
    }

    /// Each loop calls this once it no longer polls the listeners.
    func loopStoppedListening() {
        if polling.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            for socket in sockets { socket.close() }
        }
    }
}
