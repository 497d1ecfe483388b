// Routes by exact path, then by method: an unknown path is 404, a known path with another
// method is 405 with Allow. HEAD is served by the GET route (the connection drops the body).

public struct Router: HTTPHandler {
    public typealias Route = @Sendable (HTTPRequest) -> HTTPResponse
    private var routes: [String: [(method: String, handle: Route)]] = [:]

    public init() {}

    public mutating func add(_ method: String, _ path: String, _ handle: @escaping Route) {
        routes[path, default: []].append((method, handle))
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let candidates = routes[request.path] else {
            return .text(404, "no route for \(request.path)")
        }
        let method = request.method == "HEAD" ? "GET" : request.method
        if let route = candidates.first(where: { $0.method == method }) {
            return route.handle(request)
        }
        var allowed = candidates.map(\.method)
        if allowed.contains("GET") { allowed.append("HEAD") }
        var headers = HTTPHeaders()
        headers.add("Allow", allowed.joined(separator: ", "))
        return .text(405, "\(request.method) is not allowed on \(request.path); allowed: \(allowed.joined(separator: ", "))", headers: headers)
    }
}
