// A trivial handler behind the real server core, for the server tests and load measurements:
//   GET /hello          -> "hello"
//   POST /echo          -> the request body, and the method/path/query in headers
//   POST /slow?ms=N     -> answers after N milliseconds (to test draining on shutdown)
// Flags: --listen ADDR (repeatable) --tls-cert F --tls-key F [--client-ca F] [--threads N]
//        [--header-timeout S] [--body-timeout S] [--idle-timeout S] [--max-body BYTES]
//        [--max-connections N] [--shutdown-grace S] [--reload-interval-ms N]
import Glibc
import HTTPServer
import Posix

struct EchoHandler: HTTPHandler {
    let router: Router

    init() {
        var router = Router()
        router.add("GET", "/hello") { _ in .text(200, "hello") }
        router.add("POST", "/echo") { request in
            var headers = HTTPHeaders()
            headers.add("X-Method", request.method)
            headers.add("X-Query", request.query)
            headers.add("Content-Type", "application/octet-stream")
            return HTTPResponse(status: 200, headers: headers, body: request.body)
        }
        router.add("POST", "/slow") { request in
            let ms = request.query.split(separator: "=").last.flatMap { Int($0) } ?? 100
            usleep(UInt32(ms * 1000))
            return .text(200, "slept \(ms) ms")
        }
        self.router = router
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse { router.handle(request) }
}

func fail(_ message: String) -> Never {
    FileInput.writeToStandardError("http-echo: \(message)\n")
    exit(2)
}

var options: [String: [String]] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else { fail("expected --flag VALUE, got \(flag)") }
    options[String(flag.dropFirst(2)), default: []].append(value)
}
@MainActor func option(_ name: String) -> String? { options[name]?.last }
@MainActor func seconds(_ name: String) -> UInt64? { option(name).flatMap(Double.init).map { UInt64($0 * 1e9) } }

Lifecycle.blockSignals()
let logger = Logger(minimum: .info)
do {
    guard let cert = option("tls-cert"), let key = option("tls-key") else { fail("--tls-cert and --tls-key are required") }
    let store = try CertificateStore(files: TLSFiles(certificate: cert, privateKey: key, clientCA: option("client-ca")))
    var limits = HTTPLimits()
    if let s = seconds("header-timeout") { limits.headerTimeoutNanos = s }
    if let s = seconds("body-timeout") { limits.bodyTimeoutNanos = s }
    if let s = seconds("idle-timeout") { limits.idleTimeoutNanos = s }
    if let n = option("max-body").flatMap(Int.init) { limits.maxBodyBytes = n }
    if let n = option("max-connections").flatMap(Int.init) { limits.maxConnections = n }
    let addresses = try (options["listen"] ?? ["127.0.0.1:8443"]).map { try SocketAddress(parsing: $0) }
    var configuration = ServerConfiguration(listen: addresses, limits: limits)
    if let n = option("threads").flatMap(Int.init) { configuration.threads = n }
    if let s = seconds("shutdown-grace") { configuration.shutdownGraceNanos = s }
    let server = Server(configuration: configuration, certificates: store, handler: EchoHandler(), logger: logger)
    try server.start()
    let interval = option("reload-interval-ms").flatMap(Int32.init) ?? 2000
    let watcher = try Lifecycle.watchCertificates(store, logger: logger, intervalMilliseconds: interval)
    Lifecycle.run(server)
    watcher.stop()
    exit(0)
} catch {
    fail("\(error)")
}
