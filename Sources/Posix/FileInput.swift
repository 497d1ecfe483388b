// Reading whole files, looking at and listing paths: for policies, certificates, previews and the
// benchmark. Every call goes through the syscall funnel.
import Glibc

/// Why a file could not be read, in words for the one who named it.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

public enum FileInput {
    /// The file's bytes, or standard input's for "-"; at most `max` of them.
    public static func read(_ path: String, max: Int = Int.max) throws(FileError) -> [UInt8] {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            do {
                guard case .done(let opened) = try syscall("open", { open(path, O_RDONLY | O_CLOEXEC) }) else { throw FileError(description: "cannot open") }
                fd = opened
            } catch let error as POSIXError {
                throw FileError(description: error.reason)
            } catch {
                throw error as! FileError
            }
        }
        defer { if fd != 0 { _ = close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let result: IOResult<Int>
            do { result = try chunk.withUnsafeMutableBytes { b in try syscall("read") { Glibc.read(fd, b.baseAddress, b.count) } } } catch {
                throw FileError(description: (error as? POSIXError)?.reason ?? "\(error)")
            }
            guard case .done(let n) = result else { throw FileError(description: "would block (a non-blocking standard input)") }
            if n == 0 { return bytes }
            guard bytes.count + n <= max else { throw FileError(description: "larger than \(max) bytes") }
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

    /// What `stat` says of a path (following symlinks); nil when it cannot.
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
    public static func files(at path: String) throws(FileError) -> [String] {
        var st = stat()
        do { _ = try syscallNoBlock("stat") { stat(path, &st) } } catch { throw FileError(description: (error as? POSIXError)?.reason ?? "\(error)") }
        guard let kind = kind(path) else { throw FileError(description: "cannot stat") }
        guard kind == .directory else { return [path] }
        return (entries(path) ?? []).compactMap { name in
            guard !name.hasPrefix(".") else { return nil }
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            return Self.kind(full) == .file ? full : nil
        }
    }

    /// Writes `text` to a new or emptied file; false when it cannot.
    public static func write(_ text: String, to path: String) -> Bool {
        guard case .done(let fd)? = try? syscall("open", { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }) else { return false }
        defer { _ = close(fd) }
        return writeAll(text, to: fd)
    }

    /// Writes all of `text` to standard error, a line of a log or of a command's errors; a write
    /// that fails (a closed stderr) is dropped: there is nowhere left to report it.
    public static func writeToStandardError(_ text: String) { _ = writeAll(text, to: 2) }

    /// All of `text` to `fd`, through as many writes as it takes; false on an error.
    private static func writeAll(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { b in
            var offset = 0
            while offset < b.count {
                guard case .done(let n)? = try? syscall("write", { Glibc.write(fd, b.baseAddress! + offset, b.count - offset) }), n > 0 else { return false }
                offset += n
            }
            return true
        }
    }
}
