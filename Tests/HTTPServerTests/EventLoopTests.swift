// The real event loop, driven with scripted sockets and a fake clock: what the client sees of
// keep-alive, draining, connection age and idle closes, with no network, no waiting and no
// certificates (the loop is given a LoopContext, not a server).
@testable import HTTPServer
import Foundation
import Posix
import XCTest

final class EventLoopTests: XCTestCase {
    let s: UInt64 = 1_000_000_000

    /// A peer on the other side of a connection: what it sent that the server has not read (in
    /// the kernel, as far as the server knows), what the server wrote, and how it was closed.
    final class ScriptedSocket: Transport {
        let fd: Int32
        var incoming: [UInt8] = []
        var written: [UInt8] = []
        var peerClosed = false
        var closeNotifySent = false
        var finSent = false
        var closed = false
        init(fd: Int32) { self.fd = fd }

        func send(_ text: String) { incoming += Array(text.utf8) }
        var writtenText: String { String(decoding: written, as: UTF8.self) }

        func handshake() -> TLSStatus { .done(0) }
        func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSStatus {
            if incoming.isEmpty { return peerClosed ? .closed : .wantRead }
            let n = min(buffer.count, incoming.count)
            buffer.copyBytes(from: incoming[0..<n])
            incoming.removeFirst(n)
            return .done(n)
        }
        func write(_ bytes: UnsafeRawBufferPointer) -> TLSStatus {
            XCTAssertFalse(finSent, "nothing is written after our FIN")
            written += bytes
            return .done(bytes.count)
        }
        var isResumed: Bool { false }
        var holdsUnreadBytes: Bool { false }
        func socketHasUnreadBytes() -> Bool { !incoming.isEmpty }
        func sendCloseNotify() { closeNotifySent = true }
        func shutdownWrite() { finSent = true }
        func setCork(_ on: Bool) -> Bool { true }
        func close() { closed = true }
    }

    final class RecordingPoller: Poller {
        var interest: [Int32: IOEvents] = [:]
        func add(_ fd: Int32, _ interest: IOEvents, token: UInt64, exclusive: Bool) throws { self.interest[fd] = interest }
        func modify(_ fd: Int32, _ interest: IOEvents, token: UInt64) throws { self.interest[fd] = interest }
        func remove(_ fd: Int32) { interest[fd] = nil }
        func wake() {}
    }

    struct OK: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HTTPResponse { .text(200, "ok") }
    }

    /// The time the loop sees: moved by the test only (the loop runs on the test's thread).
    final class FakeTime: @unchecked Sendable {
        var now: UInt64 = 1_000_000_000
        var clock: TimeSource { TimeSource(nanos: { self.now }, seconds: { Double(self.now) / 1e9 }) }
    }

    var stats: ServerStats!
    var shutdown: ShutdownState!
    var clock: FakeTime!
    var poller: RecordingPoller!
    var loop: EventLoop<ScriptedSocket, RecordingPoller>!

    override func setUp() {
        clock = FakeTime()
        makeLoop(HTTPLimits())
    }

    func makeLoop(_ limits: HTTPLimits) {
        stats = ServerStats()
        shutdown = ShutdownState()
        let context = LoopContext(limits: limits, handler: OK(), logger: Logger(minimum: .error), stats: stats, worker: Worker(capacity: 1),
                                  shutdown: shutdown, listeners: Listeners([], loops: 0), clock: clock.clock, accept: { ScriptedSocket(fd: $0.fd) })
        drive(context)
    }

    func drive(_ context: LoopContext<ScriptedSocket>) {
        poller = RecordingPoller()
        loop = EventLoop(context: context, poller: poller, seed: 1)
    }

    /// The Date header is the loop's clock's too, not the system's: every time the loop reads
    /// comes from the clock it was given.
    func testTheDateHeaderReadsTheLoopsClock() throws {
        clock.now = 86_400 * 1_000_000_000 + 5 * 1_000_000_000
        let peer = ScriptedSocket(fd: 7)
        let token = try loop.adopt(peer)
        peer.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        loop.onEvent(token, .readable)
        _ = loop.endOfRound()
        XCTAssertTrue(peer.writtenText.contains("Date: Fri, 02 Jan 1970 00:00:05 GMT"), peer.writtenText)
    }

    /// A connection that answered one request and is idle since `clock.now`.
    func connected() throws -> (UInt64, ScriptedSocket) {
        let peer = ScriptedSocket(fd: 7)
        let token = try loop.adopt(peer)
        peer.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        loop.onEvent(token, .readable)
        XCTAssertTrue(loop.endOfRound())
        XCTAssertTrue(peer.writtenText.hasPrefix("HTTP/1.1 200"))
        XCTAssertFalse(peer.writtenText.lowercased().contains("connection: close"))
        peer.written = []
        return (token, peer)
    }

    func testFromDrainingOnTheNextAnswerSaysConnectionCloseAndTheClientsCloseIsCountedAsDrain() throws {
        let (token, peer) = try connected()
        XCTAssertTrue(shutdown.beginDraining(now: clock.now))
        peer.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        loop.onEvent(token, .readable)
        _ = loop.endOfRound()
        XCTAssertTrue(peer.writtenText.hasPrefix("HTTP/1.1 200"), "a request on a draining connection is answered")
        XCTAssertTrue(peer.writtenText.lowercased().contains("connection: close"))
        XCTAssertTrue(peer.closed, "nothing was left unread: closed once the answer is out")
        XCTAssertEqual(stats.closedConnections(.drain), 1)
        XCTAssertEqual(stats[.openConnections], 0)
    }

    func testWhileDrainingAnIdleConnectionIsClosedWithAFinOnlyWhenNothingIsReadable() throws {
        let (token, peer) = try connected()
        _ = shutdown.beginDraining(now: clock.now)
        clock.now += ConnectionState.drainIdleNanos / 2
        _ = loop.endOfRound()
        XCTAssertFalse(peer.finSent, "idle only a moment: the client may be about to use it")
        // A request is in the socket, its readable event not yet seen: the sweep finds it and
        // answers it instead of closing under it.
        peer.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n")
        clock.now += ConnectionState.drainIdleNanos
        _ = loop.endOfRound()
        _ = loop.endOfRound()
        XCTAssertFalse(peer.finSent)
        XCTAssertTrue(peer.writtenText.hasPrefix("HTTP/1.1 200"))
        XCTAssertTrue(peer.writtenText.lowercased().contains("connection: close"))
        XCTAssertEqual(stats[.requestsAfterClose], 0)
        _ = token
    }

    func testAnIdleDrainingConnectionLingersUntilThePeerClosesAndALateRequestIsCounted() throws {
        let (token, peer) = try connected()
        _ = shutdown.beginDraining(now: clock.now)
        clock.now += ConnectionState.drainIdleNanos
        _ = loop.endOfRound()
        XCTAssertTrue(peer.closeNotifySent && peer.finSent, "close_notify and FIN")
        XCTAssertFalse(peer.closed, "our side only: the peer's close is awaited")
        XCTAssertEqual(poller.interest[7], .readable, "reading on, to see the peer's close")
        peer.send("GET /late HTTP/1.1\r\nHost: a\r\n\r\n")  // written before the client saw our FIN
        loop.onEvent(token, .readable)
        XCTAssertEqual(stats[.requestsAfterClose], 1)
        peer.peerClosed = true
        loop.onEvent(token, [.readable, .hangup])
        XCTAssertTrue(peer.closed)
        XCTAssertEqual(stats.closedConnections(.drain), 1)
        XCTAssertEqual(stats.closedConnections(.peer), 0)
    }

    func testPastItsMaximumAgeAConnectionsNextAnswerSaysConnectionClose() throws {
        var limits = HTTPLimits()
        limits.maxConnectionAgeNanos = 10 * s
        limits.maxConnectionAgeJitter = 0
        makeLoop(limits)
        let (token, peer) = try connected()
        clock.now += 10 * s - 1
        peer.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        loop.onEvent(token, .readable)
        _ = loop.endOfRound()
        XCTAssertFalse(peer.writtenText.lowercased().contains("connection: close"))
        XCTAssertFalse(peer.finSent, "an idle connection is not closed for its age")
        peer.written = []
        clock.now += 1
        peer.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        loop.onEvent(token, .readable)
        _ = loop.endOfRound()
        XCTAssertTrue(peer.writtenText.lowercased().contains("connection: close"))
        XCTAssertTrue(peer.closed)
        XCTAssertEqual(stats.closedConnections(.maxAge), 1)
    }

    func testAfterItsMaximumNumberOfAnswersTheLastSaysConnectionClose() throws {
        var limits = HTTPLimits()
        limits.maxRequestsPerConnection = 3
        makeLoop(limits)
        let (token, peer) = try connected()  // the first answer
        for (path, closes) in [("/a", false), ("/b", true)] {
            peer.written = []
            peer.send("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n")
            loop.onEvent(token, .readable)
            _ = loop.endOfRound()
            XCTAssertEqual(peer.writtenText.lowercased().contains("connection: close"), closes, path)
        }
        XCTAssertTrue(peer.closed)
        XCTAssertEqual(stats.closedConnections(.maxRequests), 1)
    }

    func testAgesAreJitteredPerConnection() throws {
        var limits = HTTPLimits()
        limits.maxConnectionAgeNanos = 100 * s
        limits.maxConnectionAgeJitter = 0.2
        makeLoop(limits)
        var ages = Set<UInt64>()
        for fd in 10..<30 {
            let token = try loop.adopt(ScriptedSocket(fd: Int32(fd)))
            let age = loop.connections[token]!.state.maxAgeNanos
            XCTAssertTrue((80 * s)...(100 * s) ~= age, "\(age)")
            ages.insert(age / s)
        }
        XCTAssertGreaterThan(ages.count, 5, "connections made together do not expire together")
    }

    func testAPeersOwnCloseIsCountedAsPeer() throws {
        let (token, peer) = try connected()
        peer.peerClosed = true
        loop.onEvent(token, [.readable, .hangup])
        XCTAssertTrue(peer.closed)
        XCTAssertEqual(stats.closedConnections(.peer), 1)
    }

    /// The context a server gives its loops: its limits, handler, stats and shutdown. A Server
    /// needs a certificate pair, so this one test makes one with openssl.
    func testAServersLoopSeesItsDrainAndCountsIntoItsStats() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eventloop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", folder.appendingPathComponent("tls.key").path, "-out", folder.appendingPathComponent("tls.crt").path,
                             "-subj", "/CN=test", "-days", "1"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try XCTSkipUnless(openssl.terminationStatus == 0, "openssl could not make a test certificate (install openssl)")
        let certificates = try CertificateStore(files: TLSFiles(certificate: folder.appendingPathComponent("tls.crt").path,
                                                                privateKey: folder.appendingPathComponent("tls.key").path))
        var limits = HTTPLimits()
        limits.maxRequestsPerConnection = 5
        let server = Server(configuration: ServerConfiguration(listen: [], threads: 1, limits: limits), certificates: certificates,
                            handler: OK(), logger: Logger(minimum: .error), clock: clock.clock)
        let context = server.loopContext { ScriptedSocket(fd: $0.fd) }
        XCTAssertEqual(context.limits.maxRequestsPerConnection, 5)
        drive(context)
        let (token, peer) = try connected()
        server.beginDraining(now: clock.now)
        XCTAssertFalse(server.isServing)
        peer.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        loop.onEvent(token, .readable)
        _ = loop.endOfRound()
        XCTAssertTrue(peer.writtenText.lowercased().contains("connection: close"), "the server's drain is the loop's")
        XCTAssertEqual(server.stats.closedConnections(.drain), 1)
        XCTAssertEqual(server.stats[.acceptedConnections], 1)
    }
}
