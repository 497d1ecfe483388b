// Probes that Kubernetes accepts but that Spark fails: warned at the probe, with what to use
// instead. The evidence (Spark 4.3.0 on a real cluster, issue 35) is in docs/policy.md, "Probes
// for Spark"; `check` prints these and the apply-time check returns them, as for every warning.

import JSON

enum ProbeAdvice {
    /// Spark Connect's gRPC port (spark.connect.grpc.binding.port's default).
    static let connectPort = 15002
    /// The driver UI's port (spark.ui.port's default) and the name Spark gives that port in the
    /// driver's container.
    static let uiPorts: Set<String> = ["4040", "spark-ui"]

    /// `rule` as typed. Only its own `set` is read: a split, the other place a probe can be
    /// written, is for executors only.
    static func check(_ rule: Typed, _ d: Diagnostics) {
        guard let probes = rule["set"]?["probes"] else { return }
        let roles = targets(rule)
        let name = rule["name"]?.string ?? ""
        for entry in probes.entries {  // in the order written
            guard let kind = Probes.Kind(rawValue: entry.key), let probe = entry.value else { continue }
            let at = entry.keyNode
            let what = "rule \"\(excerpt(name))\": \(kind.rawValue) probe"
            if !roles.isDisjoint(with: [.driver, .connectServer]), probe["grpc"]?["port"]?.int == connectPort {
                let outcome = kind == .readiness ? "the server is never Ready" : "the kubelet restarts the server again and again"
                d.warn(at, "\(what): Spark Connect (through 4.3) serves no grpc.health.v1 service, so a gRPC probe on \(connectPort) never passes (Method not found: grpc.health.v1.Health/Check) and \(outcome); use tcpSocket: {port: \(connectPort)}")
            }
            guard roles.contains(.driver), let port = uiPort(probe) else { continue }
            if kind == .readiness {
                d.warn(at, "\(what) on the driver's UI port (\(port)): the driver is not Ready until the UI answers (never with spark.ui.enabled=false), and executors that find it through its headless Service get no address (UnknownHostException) and the job fails; a driver needs no readiness probe")
            } else {
                d.warn(at, "\(what) on the driver's UI port (\(port)): with spark.ui.enabled=false nothing listens there and the kubelet kills the driver, failing the job; probe the RPC port, which is served either way: tcpSocket: {port: 7078}")
            }
        }
    }

    /// The roles a rule can reach: its match's (all when it names none), less those an exclude of
    /// roles alone takes away (an exclude with other conditions still lets some of each role in).
    static func targets(_ rule: Typed) -> Set<SparkRole> {
        var roles = rule["match"]?["roles"].map { Set($0.strings.compactMap { SparkRole(rawValue: $0.0) }) } ?? Set(SparkRole.allCases)
        if let exclude = rule["exclude"], exclude.entries.map(\.key) == ["roles"], let excluded = exclude["roles"] {
            roles.subtract(excluded.strings.compactMap { SparkRole(rawValue: $0.0) })
        }
        return roles
    }

    /// The port of an HTTP or TCP probe, as written, when it is the UI's.
    /// (Written without `??` over optionals built by `map`: Swift 6.3.1's release build aborts in
    /// its SIL ownership verifier on that form.)
    static func uiPort(_ probe: Typed) -> String? {
        guard let port = probe["httpGet"]?["port"] ?? probe["tcpSocket"]?["port"] else { return nil }
        let text: String
        if let number = port.int { text = String(number) } else if let name = port.string { text = name } else { return nil }
        return uiPorts.contains(text) ? text : nil
    }
}
