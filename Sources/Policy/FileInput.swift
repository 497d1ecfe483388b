// Reading whole files and listing folders, for policies, previews and the benchmark.
import Glibc

public enum FileInput {
    /// The file's bytes, or standard input's for "-"; nil (with errno set) when it cannot be
    /// read, or (errno EFBIG) when it holds more than `max` bytes.
    public static func read(_ path: String, max: Int = Int.max) -> [UInt8]? {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 { return nil }
            if n == 0 { return bytes }
            guard bytes.count + n <= max else { errno = EFBIG; return nil }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// The names in a folder, sorted, without "." and ".."; nil when it is not a readable folder.
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

    public static var lastError: String { String(cString: strerror(errno)) }

    /// `lastError`, saying the limit when the file was too large for `read(_:max:)`.
    public static func lastError(max: Int) -> String { errno == EFBIG ? "larger than \(max) bytes" : lastError }
}
