// The one way this project starts a thread: a POSIX thread running a closure, its failure thrown
// (a server that could not start its watcher or a loop says so instead of running without it).
import Glibc

public enum Threads {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; join it or detach it.
    public static func start(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        let box = Unmanaged.passRetained(Body(body))
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw POSIXError(call: "pthread_create", errno: rc)
        }
        return tid
    }
}
