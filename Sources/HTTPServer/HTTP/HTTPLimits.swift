// Limits on what one client may send and how slowly. Defaults suit kube-apiserver as a client.

public struct HTTPLimits: Sendable {
    /// Request line plus headers; beyond it, 431 (or 414 when the request line alone is too long).
    public var maxHeaderBytes = 32 * 1024
    public var maxRequestLineBytes = 8 * 1024
    public var maxHeaderCount = 128
    /// An UPDATE review carries the object twice; Kubernetes caps an object near 3 MiB in etcd.
    public var maxBodyBytes = 8 * 1024 * 1024
    /// From the first byte of a request to the end of its headers (also the TLS handshake).
    public var headerTimeoutNanos: UInt64 = 10_000_000_000
    /// From the end of the headers to the end of the body.
    public var bodyTimeoutNanos: UInt64 = 30_000_000_000
    /// Idle keep-alive: above the apiserver's own 90 s, so the client closes idle connections first.
    public var idleTimeoutNanos: UInt64 = 120_000_000_000
    /// A client that does not read our answer for this long is cut off.
    public var writeTimeoutNanos: UInt64 = 30_000_000_000
    public var maxConnections = 10_000
    /// Past this age a connection's next answer says `Connection: close`, so that the client
    /// opens a new one, which the Service balances again: kube-apiserver never moves a kept-alive
    /// connection by itself, so without it every connection made while one replica restarted
    /// stays on the others. The age is about how long a replica that has just started waits for
    /// its share. A connection renews only when it carries a request, so the handshakes stay
    /// below both the request rate and one per connection per age. Each
    /// connection draws its own age in [1 - jitter, 1] x this, so that connections made
    /// together do not all close together. `.max`: no limit.
    public var maxConnectionAgeNanos: UInt64 = 10_000_000_000
    public var maxConnectionAgeJitter = 0.2
    /// After this many answers a connection's next says `Connection: close`: under load the
    /// apiserver's few busiest connections (it reuses the most recently used one first) renew
    /// within seconds, long before their age, so that a replica that just started gets its share
    /// at once. The default keeps the handshakes' share of the CPU small next to the answers'
    /// (the README has the figures). `.max`: no limit.
    public var maxRequestsPerConnection = 1000

    public init() {}
}
