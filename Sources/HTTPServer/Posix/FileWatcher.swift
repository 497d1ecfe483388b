// Watches files for change: inotify on their directories (ConfigMap and Secret volumes swap a
// `..data` symlink, which changes no watched file itself) plus a periodic re-check as a safety net.
// Change is judged by a fingerprint of what the paths resolve to, so spurious wake-ups cost nothing.
import CPosix
import Glibc
import Synchronization

public struct FileFingerprint: Equatable, Sendable {
    var entries: [[Int]]

    /// Identity and version of each path (following symlinks) and, for a directory, of its
    /// entries too: a folder of policy files changes when any file in it does.
    public init(paths: [String]) {
        entries = []
        for path in paths {
            let (stamp, isDirectory) = Self.stamp(path)
            entries.append(stamp)
            // Only a folder is listed: the stat says which, so a file is not opened as one to find out.
            guard isDirectory, let names = Self.directoryEntries(path) else { continue }
            for name in names { entries.append(Self.stamp(path + "/" + name).stamp) }
        }
    }

    static func stamp(_ path: String) -> (stamp: [Int], isDirectory: Bool) {
        var st = stat()
        guard stat(path, &st) == 0 else { return ([-1], false) }
        return ([Int(st.st_dev), Int(st.st_ino), Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec],
                (st.st_mode & S_IFMT) == S_IFDIR)
    }

    static func directoryEntries(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

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

    public func start() {
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        pthread_create(&tid, nil, { arg in
            let watcher = Unmanaged<FileWatcher>.fromOpaque(arg!).takeRetainedValue()
            watcher.run()
            return nil
        }, box.toOpaque())
        thread = tid
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        let fd = cposix_inotify_init()
        defer { if fd >= 0 { close(fd) } }
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
                if fd >= 0 && poll(&pfd, 1, 250) > 0 {
                    while read(fd, &buffer, buffer.count) > 0 {}
                    sawEvent = true
                    // Let a burst of renames settle (kubelet swaps several links at once).
                    usleep(50_000)
                    while read(fd, &buffer, buffer.count) > 0 {}
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

    /// The directory of a file, and the path itself when it is a directory.
    static func directoriesToWatch(_ path: String) -> [String] {
        var st = stat()
        var dirs: [String] = []
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { dirs.append(path) }
        if let slash = path.lastIndex(of: "/") {
            dirs.append(slash == path.startIndex ? "/" : String(path[..<slash]))
        } else {
            dirs.append(".")
        }
        return dirs
    }
}
