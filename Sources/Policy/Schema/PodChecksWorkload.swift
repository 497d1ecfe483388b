// What the apiserver's validation refuses in the fourth round's Pod objects (security contexts,
// env, volumes, mounts, DNS, host aliases, hooks) and in quantities and times: the usual mistakes,
// each at its value, so that a policy `check` accepts is one whose patch the apiserver takes.

import JSON
import YAML

extension PodChecks {
    static let workload: SchemaChecks = [
        "Quantity": { t, d in
            guard let text = t.string, !isQuantity(text) else { return }
            d.error(t.node, "\(t.path) \"\(excerpt(text))\" is not a quantity (a number with an optional suffix: 500m, 2, 1.5Gi, 1e3)")
        },
        "Time": { t, d in
            guard let text = t.string, !isRFC3339(text) else { return }
            d.error(t.node, "\(t.path) \"\(excerpt(text))\" is not an RFC 3339 time (2026-01-02T15:04:05Z)")
        },
        "PodSecurityContext": { t, d in securityNumbers(t, d); oneOf(t["fsGroupChangePolicy"], d, ["OnRootMismatch", "Always"])
            oneOf(t["supplementalGroupsPolicy"], d, ["Merge", "Strict"]); oneOf(t["seLinuxChangePolicy"], d, ["MountOption", "Recursive"])
            for (i, g) in (t["supplementalGroups"]?.items ?? []).enumerated() { range(g, d, "supplementalGroups[\(i)]", 0, Int(Int32.max)) }
        },
        "SecurityContext": { t, d in
            securityNumbers(t, d)
            oneOf(t["procMount"], d, ["Default", "Unmasked"])
            if t["privileged"]?.bool == true, let a = t["allowPrivilegeEscalation"], a.bool == false {
                d.error(a.node, "allowPrivilegeEscalation: false cannot go with privileged: true")
            }
        },
        "SeccompProfile": profile, "AppArmorProfile": profile,
        "Sysctl": { t, d in
            if let n = t["name"], let name = n.string, name.isEmpty { d.error(n.node, "a sysctl needs a name") }
        },
        "EnvVar": { t, d in
            if let n = t["name"], let name = n.string, name.isEmpty || name.contains("=") || !name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
                d.error(n.node, "env name \"\(excerpt(name))\" must be printable ASCII without '='")
            }
            if t.has("value"), t.has("valueFrom") { d.error(t.keyNode("valueFrom")!, "an env entry takes value or valueFrom, not both") }
        },
        "EnvVarSource": { t, d in exactlyOne(t, d, "valueFrom") },
        "Volume": { t, d in
            if let n = t["name"], let name = n.string, !Naming.isDNSLabel(name) {
                d.error(n.node, "volume name \"\(excerpt(name))\" must be a lowercase DNS label (at most 63 letters, digits and '-')")
            }
            let sources = t.entries.filter { $0.key != "name" }
            if t.complete && sources.count != 1 {
                d.error(t.node, sources.isEmpty ? "a volume needs a source (emptyDir, configMap, secret, ...)" : "a volume takes exactly one source, got \(sources.map(\.key).joined(separator: ", "))")
            }
        },
        "VolumeMount": { t, d in
            if let p = t["mountPath"], let path = p.string, !path.hasPrefix("/") { d.error(p.node, "mountPath \"\(excerpt(path))\" must be an absolute path") }
            oneOf(t["mountPropagation"], d, ["None", "HostToContainer", "Bidirectional"])
            oneOf(t["recursiveReadOnly"], d, ["Disabled", "IfPossible", "Enabled"])
            if let r = t["recursiveReadOnly"], r.string != nil, r.string != "Disabled", t["readOnly"]?.bool != true {
                d.error(r.node, "recursiveReadOnly needs readOnly: true")
            }
            for name in ["subPath", "subPathExpr"] {
                if let s = t[name], let path = s.string, path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                    d.error(s.node, "\(name) must be a relative path without '..'")
                }
            }
        },
        "LifecycleHandler": { t, d in exactlyOne(t, d, t.path) },
        "SleepAction": { t, d in range(t["seconds"], d, "sleep.seconds", 1) },
        "HostAlias": { t, d in
            if let i = t["ip"], let ip = i.string, !isIP(ip) { d.error(i.node, "hostAliases ip \"\(excerpt(ip))\" is not an IP address") }
            for (name, at) in t["hostnames"]?.strings ?? [] where !Naming.isDNSSubdomain(name) {
                d.error(at.node, "hostname \"\(excerpt(name))\" must be a lowercase DNS subdomain")
            }
        },
        "PodDNSConfig": { t, d in
            let servers = t["nameservers"]?.strings ?? []
            if servers.count > 3, let n = t["nameservers"] { d.error(n.node, "dnsConfig takes at most 3 nameservers, got \(servers.count)") }
            for (ip, at) in servers where !isIP(ip) { d.error(at.node, "nameserver \"\(excerpt(ip))\" is not an IP address") }
            let searches = t["searches"]?.strings ?? []
            if searches.count > 32, let s = t["searches"] { d.error(s.node, "dnsConfig takes at most 32 searches, got \(searches.count)") }
            for (name, at) in searches where !Naming.isDNSSubdomain(name.hasSuffix(".") ? String(name.dropLast()) : name) {
                d.error(at.node, "search domain \"\(excerpt(name))\" must be a lowercase DNS subdomain")
            }
        },
        "PodDNSConfigOption": { t, d in
            if !t.has("name") || t["name"]?.string == "" { d.error(t.node, "a dnsConfig option needs a name") }
        },
    ]

    /// imagePullSecrets: each names a Secret (the schema leaves `name` optional; a pull secret
    /// without one is refused).
    static func imagePullSecrets(_ t: Typed, _ d: Diagnostics) {
        for item in t.items {
            guard let n = item["name"], let name = n.string else { d.error(item.node, "\(item.path) needs name"); continue }
            if !Naming.isDNSSubdomain(name) { d.error(n.node, "image pull secret \"\(excerpt(name))\" must be a lowercase DNS subdomain") }
        }
    }

    /// User and group ids are 0 to 2^31-1, as the apiserver allows them.
    static func securityNumbers(_ t: Typed, _ d: Diagnostics) {
        for name in ["runAsUser", "runAsGroup", "fsGroup"] { range(t[name], d, name, 0, Int(Int32.max)) }
    }

    /// seccompProfile and appArmorProfile: a type, and a localhostProfile exactly with Localhost.
    static func profile(_ t: Typed, _ d: Diagnostics) {
        let kind = t["type"]?.string
        oneOf(t["type"], d, ["RuntimeDefault", "Unconfined", "Localhost"])
        if kind == "Localhost", !t.has("localhostProfile") { d.error(t.node, "\(t.path) of type Localhost needs localhostProfile") }
        if let l = t["localhostProfile"], kind != nil, kind != "Localhost" { d.error(l.node, "localhostProfile is only valid with type Localhost") }
    }

    static func oneOf(_ t: Typed?, _ d: Diagnostics, _ values: [String]) {
        guard let t, let text = t.string, !values.contains(text) else { return }
        d.error(t.node, "\(t.path) must be \(values.dropLast().joined(separator: ", ")) or \(values.last!), got \"\(excerpt(text))\"")
    }

    /// An object of alternatives (an env source, a hook's handler): exactly one.
    static func exactlyOne(_ t: Typed, _ d: Diagnostics, _ what: String) {
        guard t.complete, t.entries.count != 1 else { return }
        d.error(t.node, "\(what) takes exactly one of \(t.schemaFieldNames.joined(separator: ", ")), got \(t.entries.isEmpty ? "none" : t.entries.map(\.key).joined(separator: ", "))")
    }

    /// `<sign><digits>[.<digits>]<suffix>`, as Kubernetes parses a quantity.
    static func isQuantity(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "+" || s.first == "-" { s = s.dropFirst() }
        let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1 else { return false }
        let suffix = s.dropFirst(number.count)
        if ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "m", "k", "M", "G", "T", "P", "E"].contains(suffix) { return true }
        guard suffix.first == "e" || suffix.first == "E" else { return false }
        var exponent = suffix.dropFirst()
        if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    static func isRFC3339(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ r: Range<Int>) -> Bool { r.upperBound <= b.count && r.allSatisfy { b[$0] >= 48 && b[$0] <= 57 } }
        guard b.count >= 20, digits(0..<4), b[4] == 45, digits(5..<7), b[7] == 45, digits(8..<10), b[10] == 84 || b[10] == 116,
              digits(11..<13), b[13] == 58, digits(14..<16), b[16] == 58, digits(17..<19) else { return false }
        var i = 19
        if b[i] == 46 { i += 1; let start = i; while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }; if i == start { return false } }
        if i == b.count - 1, b[i] == 90 || b[i] == 122 { return true }
        return b.count - i == 6 && (b[i] == 43 || b[i] == 45) && digits(i + 1..<i + 3) && b[i + 3] == 58 && digits(i + 4..<i + 6)
    }

    /// An IPv4 address in dotted decimal or an IPv6 address, as inet_pton reads them.
    static func isIP(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 {
            return parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && Int(p)! <= 255 && (p.count == 1 || p.first != "0") }
        }
        guard text.contains(":"), text.count <= 45 else { return false }
        let groups = text.split(separator: "::", omittingEmptySubsequences: false)
        guard groups.count <= 2 else { return false }
        var count = 0
        for half in groups where !half.isEmpty {
            for g in half.split(separator: ":", omittingEmptySubsequences: false) {
                if g.contains(".") { guard isIP(String(g)) else { return false }; count += 2; continue }
                guard (1...4).contains(g.count), g.allSatisfy({ $0.isHexDigit }) else { return false }
                count += 1
            }
        }
        return groups.count == 2 ? count < 8 : count == 8
    }
}
