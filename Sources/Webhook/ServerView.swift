// What the endpoints see of the server they answer for.
import HTTPServer

/// What the endpoints report of the server they answer for (/readyz and /metrics). Made before
/// that server, which is then built with the same readiness and counters.
public struct ServerView: Sendable {
    public let readiness: Readiness
    public let stats: ServerStats
    public let certificates: CertificateStore

    public init(readiness: Readiness = Readiness(), stats: ServerStats = ServerStats(), certificates: CertificateStore) {
        self.readiness = readiness
        self.stats = stats
        self.certificates = certificates
    }
}
