// Watches files for change: inotify on their directories (ConfigMap and Secret volumes swap a
// `..data` symlink, which changes no watched file itself) plus a periodic re-check as a safety net.
// Change is judged by a fingerprint of what the paths resolve to (FileFingerprint), so spurious
// wake-ups cost nothing.
import CPosix
import Glibc
import Synchronization

public final class FileWatcher: @unchecked Sendable {
    private let paths: [String]
    private let interval: Int32
    private let onChange: @Sendable () -> Void
    private let stopped = Atomic<Bool>(false)
    private var thread: pthread_t?

    /// `onChange` runs on the watcher's thread after any event in a watched directory, and at
    /// least every `intervalMilliseconds`; it should compare fingerprints itself.
    public init(paths: [String], intervalMilliseconds: Int32 = 2000, onChange: @escaping @Sendable () -> Void) {
        self.paths = paths
        self.interval = intervalMilliseconds
        self.onChange = onChange
    }

    public func start() throws {
        thread = try Threads.start { self.run() }
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        let fd = cposix_inotify_init()
        defer { if fd >= 0 { _ = close(fd) } }
        var watched = Set<String>()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            if fd >= 0 {
                for dir in Set(paths.flatMap(Self.directoriesToWatch)) where !watched.contains(dir) {
                    if cposix_inotify_watch_dir(fd, dir) >= 0 { watched.insert(dir) }
                }
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Wake at least every 250 ms to notice stop(); run onChange on events or each interval.
            var waited: Int32 = 0
            var sawEvent = false
            while waited < interval && !stopped.load(ordering: .relaxed) {
                if fd >= 0, case .done(let ready)? = try? syscall("poll", { poll(&pfd, 1, 250) }), ready > 0 {
                    drain(fd, &buffer)
                    sawEvent = true
                    // Let a burst of renames settle (kubelet swaps several links at once).
                    usleep(50_000)
                    drain(fd, &buffer)
                    break
                } else if fd < 0 {
                    usleep(250_000)
                }
                waited += 250
            }
            if stopped.load(ordering: .relaxed) { break }
            if sawEvent { watched.removeAll(keepingCapacity: true) }  // a deleted dir loses its watch
            onChange()
        }
    }

    /// Reads the inotify descriptor (non-blocking) until it has nothing more: the events say only
    /// that something changed, which the fingerprint then judges.
    private func drain(_ fd: Int32, _ buffer: inout [UInt8]) {
        while case .done(let n)? = try? buffer.withUnsafeMutableBytes({ b in try syscall("read(inotify)") { read(fd, b.baseAddress, b.count) } }), n > 0 {}
    }

    /// The directory of a file, and the path itself when it is a directory.
    static func directoriesToWatch(_ path: String) -> [String] {
        var dirs: [String] = []
        if FileInput.kind(path) == .directory { dirs.append(path) }
        if let slash = path.lastIndex(of: "/") {
            dirs.append(slash == path.startIndex ? "/" : String(path[..<slash]))
        } else {
            dirs.append(".")
        }
        return dirs
    }
}
