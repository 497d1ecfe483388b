// Reading whole files, looking at and listing paths: for policies, certificates, previews and the
// benchmark. Every call goes through the syscall funnel.
import Glibc

public enum FileInput {
    /// The file's bytes, or standard input's for "-"; nil (with errno set) when it cannot be
    /// read, or (errno EFBIG) when it holds more than `max` bytes.
    public static func read(_ path: String, max: Int = Int.max) -> [UInt8]? {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            guard case .done(let opened)? = try? syscall("open", { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
            fd = opened
        }
        defer { if fd != 0 { _ = close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let result = try? chunk.withUnsafeMutableBytes { b in try syscall("read") { Glibc.read(fd, b.baseAddress, b.count) } }
            guard case .done(let n)? = result else { return nil }  // an error, or EAGAIN on a non-blocking stdin
            if n == 0 { return bytes }
            guard bytes.count + n <= max else { errno = EFBIG; return nil }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// The names in a folder, sorted, without "." and ".."; nil when it is not a readable folder.
    /// (opendir and readdir report errors by a nil return, not a negative one.)
    public static func entries(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// What `stat` says of a path (following symlinks); nil, with errno set, when it cannot.
    public static func status(_ path: String) -> stat? {
        var st = stat()
        guard case .done? = try? syscall("stat", { stat(path, &st) }) else { return nil }
        return st
    }

    public enum Kind { case file, directory, other }

    /// What the path is, following symlinks; nil when it is not there.
    public static func kind(_ path: String) -> Kind? {
        guard let st = status(path) else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The regular files a path names: the file itself, or a folder's files in name order,
    /// skipping hidden entries (a ConfigMap volume's `..data` and `..2024_...` folders among them).
    public static func files(at path: String) -> [String]? {
        guard let kind = kind(path) else { return nil }
        guard kind == .directory else { return [path] }
        return (entries(path) ?? []).compactMap { name in
            guard !name.hasPrefix(".") else { return nil }
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            return Self.kind(full) == .file ? full : nil
        }
    }

    public static var lastError: String { String(cString: strerror(errno)) }

    /// `lastError`, saying the limit when the file was too large for `read(_:max:)`.
    public static func lastError(max: Int) -> String { errno == EFBIG ? "larger than \(max) bytes" : lastError }
}
