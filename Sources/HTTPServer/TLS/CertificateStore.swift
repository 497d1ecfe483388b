// The TLS context new handshakes use, rebuilt when the PEM files change; a broken, mismatched or
// expired pair is refused and the old context stays in use. Open connections keep the context
// they started with (each SSL holds a reference to it).
import Posix
import Synchronization

public final class CertificateStore: Sendable {
    public let files: TLSFiles
    private let context: FileBackedValue<TLSContext>

    private final class Flag: Sendable { let value = Atomic<Bool>(false) }
    private let started = Flag()
    private let warning = Mutex(ExpiryWarning())

    /// An expired pair at start is served (there is nothing else to serve) and logged by
    /// `checkExpiry`; on reload it is refused and the pair in use is kept.
    public init(files: TLSFiles, now: @escaping @Sendable () -> Double = TimeSource.wallSeconds) throws {
        self.files = files
        let started = self.started
        context = try FileBackedValue(paths: files.all) {
            let built = try TLSContext(files: files)
            let expired = [("certificate \(files.certificate)", built.certificateNotAfter), ("client CA \(files.clientCA ?? "")", built.clientCANotAfter)]
                .first { $0.1.map { $0 <= now() } ?? false }
            if started.value.load(ordering: .relaxed), let (what, _) = expired { throw TLSError(message: "\(what) has expired") }
            return built
        }
        started.value.store(true, ordering: .relaxed)
    }

    /// A warning for the log when the certificate in use (or the client CA) expires within a
    /// week, once a day; nil otherwise.
    public func checkExpiry(now: Double = TimeSource.wallSeconds()) -> String? {
        let ctx = current
        let soonest = [("certificate", ctx.certificateNotAfter), ("client CA", ctx.clientCANotAfter)]
            .compactMap { name, t in t.map { (name, $0) } }.min { $0.1 < $1.1 }
        guard let (what, notAfter) = soonest, warning.withLock({ $0.due(now: now, notAfter: notAfter) }) else { return nil }
        let hours = Int((notAfter - now) / 3_600)
        return hours <= 0 ? "the TLS \(what) has expired" : "the TLS \(what) expires in \(hours / 24) days \(hours % 24) hours"
    }

    public var current: TLSContext { context.current }

    public func reloadIfChanged() -> ReloadResult<TLSContext> { context.reload() }
}
