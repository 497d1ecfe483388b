// What a set of paths resolve to, to tell whether any changed: identity and version of each path
// (following symlinks) and, for a folder, of its entries too.
import Glibc

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
            guard isDirectory, let names = FileInput.entries(path) else { continue }
            for name in names { entries.append(Self.stamp(path + "/" + name).stamp) }
        }
    }

    static func stamp(_ path: String) -> (stamp: [Int], isDirectory: Bool) {
        guard let st = FileInput.status(path) else { return ([-1], false) }
        return ([Int(st.st_dev), Int(st.st_ino), Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec],
                (st.st_mode & S_IFMT) == S_IFDIR)
    }
}
