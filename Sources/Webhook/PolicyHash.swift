// The identity of the policy in force, for sparkhook_policy_info{hash}: an operator who applied a
// new policy sees when every replica serves it (the kubelet updates each pod's volume on its own
// schedule). FNV-1a 64 over each file's name under the policy path and its bytes, in load order:
// the same files give the same hash on every replica, whatever the mount's timestamped folder.
// `sparkhook check` prints it, so that the hash a replica shows can be told before deploying.
import Policy

public enum PolicyHash {
    /// Loads as PolicyLoader.load(path:) does, from the same bytes that are hashed.
    public static func load(path: String) throws -> (PolicySet, String) {
        var sources: [(file: String, text: String)] = []
        var named: [(name: String, bytes: [UInt8])] = []
        for file in try PolicyLoader.files(at: path) {
            let bytes = try PolicyLoader.read(file)
            let name = file.hasPrefix(path + "/") ? String(file.dropFirst(path.count + 1)) : String(file.split(separator: "/").last ?? "")
            named.append((name, bytes))
            sources.append((file, String(decoding: bytes, as: UTF8.self)))
        }
        return (try PolicyLoader.load(sources: sources, emptyIs: path), hash(named))
    }

    /// The hash of policy files given as (name, text): a ConfigMap's data, whose keys are the file
    /// names the kubelet mounts.
    public static func of(sources: [(file: String, text: String)]) -> String {
        hash(sources.map { ($0.file, Array($0.text.utf8)) })
    }

    /// Each file's name under the policy path, then its bytes, in load order.
    static func hash(_ files: [(name: String, bytes: [UInt8])]) -> String {
        var hash = FNV1a()
        for (name, bytes) in files {
            hash.add(Array(name.utf8))
            hash.add(bytes)
        }
        return hash.hex
    }
}

struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Each part is followed by its length, so that ("ab", "c") and ("a", "bc") differ.
    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes { step(byte) }
        var n = UInt64(bytes.count)
        for _ in 0..<8 { step(UInt8(n & 0xff)); n >>= 8 }
    }

    private mutating func step(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
