import Foundation
import Hummingbird
import Logging

/// Everything the web view serves, as a Hummingbird router (docs/WEB.md lists the routes).
/// `WebServer` runs it on a socket; tests drive it with HummingbirdTesting.
public struct WebApp: Sendable {
    public var source: any SweepSource
    public var steering: (any SweepSteering)?
    public var access: HTTPAccess
    public var feed: LiveFeed
    public var metrics: WebMetrics
    /// Coalescing interval of SSE updates, and how often a stream looks at the feed.
    public var eventInterval: Double = 0.25
    /// Open SSE streams allowed at once.
    public var maxEventStreams = 64
    let streams = StreamGate()

    public init(source: any SweepSource, steering: (any SweepSteering)?, access: HTTPAccess, feed: LiveFeed, metrics: WebMetrics) {
        self.source = source; self.steering = steering; self.access = access; self.feed = feed; self.metrics = metrics
    }

    public static let cookieName = "urnn_token"
    /// Largest request body read (login form, steering JSON).
    public static let maxBodyBytes = 8192

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(AccessMiddleware(access: access))
        for (path, page) in [("/", Page.overview), ("/figures", .figures), ("/results", .results), ("/jobs", .jobs)] {
            router.get(RouterPath(path)) { _, _ in html(Pages.shell(page)) }
        }
        router.get("/jobs/:id") { _, context in
            do { return html(Pages.shell(.job(try jobID(context)))) } catch { return failure(error) }
        }
        router.get("/assets/app.js") { _, _ in asset(Pages.script, type: "text/javascript; charset=utf-8") }
        router.get("/assets/style.css") { _, _ in asset(Pages.style, type: "text/css; charset=utf-8") }
        router.get("/login") { _, _ in html(Pages.login(failed: false)) }
        router.post("/login") { request, _ in try await login(request) }

        router.get("/api/sweep") { request, _ in try answer(request) { try source.sweep() } }
        router.get("/api/workers") { request, _ in try answer(request) { try source.workers() } }
        router.get("/api/results") { request, _ in try answer(request) { try source.results() } }
        router.get("/api/jobs") { request, _ in
            let params: [(String, String)]
            do { params = try Self.queryPairs(request.uri.query) } catch { return failure(error) }
            return try answer(nil) {
                try source.jobs(try JobQuery.parse(params, kinds: Self.kinds, models: Self.models))
            }
        }
        router.get("/api/jobs/:id") { request, context in
            let id: String
            do { id = try jobID(context) } catch { return failure(error) }
            return try answer(request) {
                guard let job = try source.job(id: id) else { throw WebError(404, "no job \(id) in this store") }
                return job
            }
        }
        for action in SteeringAction.allCases {
            router.post(RouterPath("/api/\(action.rawValue)")) { request, _ in try await steer(action, request) }
        }
        router.get("/api/events") { request, _ in events(request) }
        router.get("/metrics") { _, _ in
            if let sweep = try? source.sweep() {
                metrics.set(counts: sweep.counts, workersAlive: feed.current.snapshot.map { s in s.workers.filter(\.connected).count })
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        return router
    }

    // The job kinds and models the filter accepts (JobKind, ModelKind of the Shared module).
    public static let kinds = ["synthetic", "theorem1", "theorem2", "theorem3", "pmnist", "noop"]
    public static let models = ["rnn", "crnn", "urnn", "lstm"]

    // MARK: Handlers

    private func jobID(_ context: BasicRequestContext) throws(WebError) -> String {
        let id = context.parameters.get("id") ?? ""
        guard (1...64).contains(id.count), id.allSatisfy({ $0.isHexDigit && ($0.isNumber || $0.isLowercase) }) else {
            throw WebError(400, "job id \(id.prefix(70)): expected the job's hex id (up to 64 lowercase hex digits)")
        }
        return id
    }

    /// Runs `body` and answers its value as JSON, a `WebError` with its status, anything else as 500.
    private func answer<T: Encodable>(_ request: Request?, _ body: () throws -> T) throws -> Response {
        if let q = request?.uri.query, !q.isEmpty { return failure(WebError(400, "this endpoint takes no query parameters")) }
        do { return json(try body()) } catch { return failure(error) }
    }

    private func login(_ request: Request) async throws -> Response {
        var request = request
        guard access.token != nil else { return redirect("/") }
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maxBodyBytes) } catch {
            return failure(WebError(413, "the login form is larger than \(Self.maxBodyBytes) bytes"))
        }
        let fields = (try? Self.queryPairs(String(buffer: body))) ?? []
        let token = fields.first { $0.0 == "token" }?.1
        guard access.accepts(token.map { Substring($0) }) else {
            return Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: Pages.login(failed: true))))
        }
        var r = redirect("/")
        r.headers[.setCookie] = "\(Self.cookieName)=\(token!); Path=/; HttpOnly; SameSite=Strict"
        return r
    }

    private func steer(_ action: SteeringAction, _ request: Request) async throws -> Response {
        guard access.token != nil else {
            return failure(WebError(403, "steering needs a token: start the coordinator with --http-token-file FILE"))
        }
        // A form on another site cannot send JSON without a preflight, which is never granted.
        guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
            return failure(WebError(415, "send the steering request as application/json, e.g. {\"where\": \"model=lstm\"}"))
        }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: Self.maxBodyBytes) } catch {
            return failure(WebError(413, "the request body is larger than \(Self.maxBodyBytes) bytes"))
        }
        struct Body: Decodable { var `where`: String? }
        let parsed: Body
        do { parsed = try JSONDecoder().decode(Body.self, from: Data(buffer: body)) } catch {
            return failure(WebError(400, "the body must be a JSON object like {\"where\": \"model=lstm,hidden=14\"}"))
        }
        guard let steering else {
            return failure(WebError(501, "this coordinator has no steering backend (pause/resume/cancel come with the steering work)"))
        }
        do { return json(try steering.steer(action, filter: try SteeringFilter.parse(parsed.where ?? ""))) } catch {
            return failure(error)
        }
    }

    /// Server-Sent Events: an `update` event with the `SweepView` whenever the feed's version moved
    /// (at most every `eventInterval`), a comment every 15 s to keep proxies from closing the stream.
    /// `?max=N` (1...10000) ends the stream after N updates (scripts, tests).
    private func events(_ request: Request) -> Response {
        var requested = Int.max
        do {
            for (k, v) in try Self.queryPairs(request.uri.query) {
                guard k == "max" else { throw WebError(400, "unknown query parameter \(k.prefix(40)); known: max") }
                guard v.count <= 6, let n = Int(v), (1...10_000).contains(n) else {
                    throw WebError(400, "max=\(v.prefix(40)): expected a whole number in 1...10000")
                }
                requested = n
            }
        } catch { return failure(error) }
        guard streams.enter(limit: maxEventStreams) else {
            return failure(WebError(503, "too many open event streams (\(maxEventStreams)); close a tab"))
        }
        let feed = self.feed, source = self.source, streams = self.streams, maxEvents = requested
        let interval = UInt64(eventInterval * 1e9)
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { streams.leave() }
            var last: UInt64?
            var quiet: UInt64 = 0
            var sent = 0
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            while !Task.isCancelled && !streams.closing && sent < maxEvents {
                let v = feed.current.version
                if v != last, let view = try? source.sweep() {
                    last = v
                    quiet = 0
                    let data = String(decoding: try WebApp.encoder.encode(view), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: update\nid: \(v)\ndata: \(data)\n\n"))
                    sent += 1
                    if sent >= maxEvents { break }
                } else {
                    quiet += interval
                    if quiet >= 15_000_000_000 { quiet = 0; try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                }
                try await Task.sleep(nanoseconds: interval)
            }
            try await writer.finish(nil)
        })
    }

    // MARK: Helpers

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// Decoded `key=value` pairs of a query string or form body, in order. `+` is a space.
    static func queryPairs(_ query: String?) throws(WebError) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        guard query.utf8.count <= 4096 else { throw WebError(414, "the query is longer than 4096 bytes") }
        var out: [(String, String)] = []
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws(WebError) -> String {
                guard let d = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw WebError(400, "bad percent-encoding in the query: \(s.prefix(40))")
                }
                return d
            }
            out.append((try decode(kv[0]), kv.count > 1 ? try decode(kv[1]) : ""))
        }
        return out
    }
}

private func json<T: Encodable>(_ value: T) -> Response {
    do {
        let data = try WebApp.encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    } catch {
        return failure(WebError(500, "cannot encode the answer: \(error)"))
    }
}

func failure(_ error: any Error) -> Response {
    let e = (error as? WebError) ?? WebError(500, "\(error)")
    let body = (try? WebApp.encoder.encode(["error": e.message])) ?? Data("{}".utf8)
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    if e.status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"urnn-coordinator\"" }
    return Response(status: .init(code: e.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

private func html(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
             body: .init(byteBuffer: ByteBuffer(string: text)))
}

private func asset(_ text: String, type: String) -> Response {
    Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
}

private func redirect(_ to: String) -> Response {
    Response(status: .seeOther, headers: [.location: to])
}

/// Counts open SSE streams; `closing` tells them to end (server stopping).
final class StreamGate: @unchecked Sendable {
    private let lock = NSLock()
    private var open = 0
    private var _closing = false
    func enter(limit: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard open < limit, !_closing else { return false }
        open += 1
        return true
    }
    func leave() { lock.lock(); open -= 1; lock.unlock() }
    var closing: Bool { lock.lock(); defer { lock.unlock() }; return _closing }
    func close() { lock.lock(); _closing = true; lock.unlock() }
}

/// With a token, every route but the login page and the assets needs it: `Authorization: Bearer
/// TOKEN`, or the cookie the login page sets. Pages redirect to the login; the API answers 401.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: HTTPAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard access.token != nil else { return try await next(request, context) }
        let path = request.uri.path
        if path == "/login" || path.hasPrefix("/assets/") { return try await next(request, context) }
        if access.accepts(Self.presentedToken(request)) { return try await next(request, context) }
        if path.hasPrefix("/api/") || path == "/metrics" {
            return failure(WebError(401, "this coordinator needs its token: Authorization: Bearer TOKEN (the --http-token-file)"))
        }
        return Response(status: .seeOther, headers: [.location: "/login"])
    }

    static func presentedToken(_ request: Request) -> Substring? {
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return parts[1] }
            return nil
        }
        for header in request.headers[values: .cookie] {
            for c in header.split(separator: ";") {
                let kv = c.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == WebApp.cookieName { return kv[1] }
            }
        }
        return nil
    }
}
