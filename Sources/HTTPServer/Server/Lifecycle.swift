// Process lifecycle around a server: signals (SIGTERM/SIGINT drain and stop, SIGHUP reloads)
// and certificate reload when the PEM files change.
import CPosix
import Glibc
import Posix

public enum Lifecycle {
    /// Call first in main, before any thread starts, so that only `run` receives the signals.
    public static func blockSignals() { _ = cposix_block_signals() }

    /// Watches the certificate files and swaps in a new pair for new handshakes when they change.
    public static func watchCertificates(_ store: CertificateStore, logger: Logger, intervalMilliseconds: Int32 = 2000) throws -> FileWatcher {
        let watcher = FileWatcher(paths: store.files.all, intervalMilliseconds: intervalMilliseconds) {
            report(store.reloadIfChanged(), store: store, logger: logger)
        }
        try watcher.start()
        return watcher
    }

    static func report(_ result: ReloadResult<TLSContext>, store: CertificateStore, logger: Logger) {
        switch result {
        case .unchanged: break
        case .reloaded: logger.info("TLS certificate reloaded", ["certificate": store.files.certificate])
        case .refused(let reason):
            logger.error("TLS certificate reload refused; keeping the previous pair", ["reason": reason])
        }
    }

    /// Blocks until SIGTERM or SIGINT, running `onHangup` for each SIGHUP; then drains the
    /// server and returns when it has stopped.
    public static func run(_ server: Server, shutdownDelaySeconds: Double = 0, onHangup: () -> Void = {}) {
        while true {
            if let warning = server.certificates.checkExpiry(now: server.clock.seconds()) {
                server.logger.warning(warning, ["certificate": server.certificates.files.certificate])
            }
            let signal = cposix_wait_signal(1000)
            if signal == SIGHUP {
                server.logger.info("SIGHUP: reloading")
                report(server.certificates.reloadIfChanged(), store: server.certificates, logger: server.logger)
                onHangup()
            } else if signal != 0 {
                server.logger.info("signal received", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT"])
                break
            }
        }
        server.beginDraining()
        if shutdownDelaySeconds > 0 {
            server.logger.info("not ready; serving on until endpoints catch up", ["delaySeconds": "\(shutdownDelaySeconds)"])
            usleep(UInt32(shutdownDelaySeconds * 1_000_000))
        }
        server.shutdown()
        server.waitUntilStopped()
    }
}
