import Foundation

/// Where the web view's data comes from. The coordinator implements it over its store (read-only,
/// no lock: WAL readers) and the snapshot its loop publishes (`LiveFeed`); tests can too.
/// Calls may block briefly on SQLite; none may block on the coordinator's loop.
public protocol SweepSource: Sendable {
    func sweep() throws -> SweepView
    func workers() throws -> WorkersView
    func jobs(_ query: JobQuery) throws -> JobsView
    /// nil when the store has no job with this id.
    func job(id: String) throws -> JobView?
    func results() throws -> ResultsView
}

/// Pause, resume and cancel (issue 13's steering). The coordinator's implementation is
/// `StoreSteering`, the same store rules as `urnn-coordinator pause|resume|cancel`; the HTTP side
/// only parses, authorizes and forwards. Without one, the steering endpoints answer 501.
public protocol SweepSteering: Sendable {
    func steer(_ action: SteeringAction, filter: SteeringFilter) throws -> SteeringResponse
}

public enum SteeringAction: String, Codable, Sendable, CaseIterable {
    case pause, resume, cancel
}

/// What a steering call did.
public struct SteeringResponse: Codable, Sendable, Equatable {
    public var action: String
    /// Jobs the filter matched.
    public var matched: Int
    /// Jobs whose state changed.
    public var changed: Int
    public var message: String
    public init(action: String, matched: Int, changed: Int, message: String) {
        self.action = action; self.matched = matched; self.changed = changed; self.message = message
    }
}

/// An error the API answers with its HTTP status and a JSON `{"error": message}` body.
public struct WebError: Error, CustomStringConvertible, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }
    public var description: String { "\(status): \(message)" }
}

/// `--where` / `?where=` of steering: `key=value` pairs separated by commas, e.g.
/// `model=lstm,hidden=14`. Only the syntax is checked here; the steering side says which keys it knows.
public struct SteeringFilter: Codable, Sendable, Equatable {
    public var pairs: [Pair]
    public struct Pair: Codable, Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { self.key = key; self.value = value }
    }
    public init(pairs: [Pair]) { self.pairs = pairs }

    public static let maxLength = 1024
    public static let maxPairs = 16

    /// An empty string matches every job.
    public static func parse(_ text: String) throws(WebError) -> SteeringFilter {
        func fail(_ why: String) -> WebError { WebError(400, "where \(text.prefix(80)): \(why); expected KEY=VALUE[,KEY=VALUE...], e.g. model=lstm,hidden=14") }
        guard text.utf8.count <= maxLength else { throw fail("longer than \(maxLength) bytes") }
        if text.isEmpty { return SteeringFilter(pairs: []) }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= maxPairs else { throw fail("more than \(maxPairs) conditions") }
        var pairs: [Pair] = []
        for p in parts {
            let kv = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { throw fail("\"\(p)\" has no =") }
            let key = String(kv[0]), value = String(kv[1])
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
                throw fail("\"\(key)\" is not a key (lowercase letters, digits, _)")
            }
            guard !value.isEmpty, value.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "=" }) else {
                throw fail("the value of \(key) is empty or has spaces")
            }
            if pairs.contains(where: { $0.key == key }) { throw fail("\(key) given twice") }
            pairs.append(Pair(key: key, value: value))
        }
        return SteeringFilter(pairs: pairs)
    }
}

/// The filter and page of `GET /api/jobs?kind=&model=&hidden=&state=&sweep=&offset=&limit=`.
public struct JobQuery: Sendable, Equatable {
    public var kind: String?
    public var model: String?
    public var hidden: Int?
    /// pending, running, done, failed, or diverged (done jobs whose training diverged).
    public var state: String?
    public var sweep: String?
    public var offset = 0
    public var limit = 100

    public static let limits = 1...1000
    public static let offsets = 0...10_000_000
    public static let hiddens = 1...100_000
    public static let states = ["pending", "running", "done", "failed", "diverged", "cancelled"]
    public static let keys: Set<String> = ["kind", "model", "hidden", "state", "sweep", "offset", "limit"]

    public init(kind: String? = nil, model: String? = nil, hidden: Int? = nil, state: String? = nil, sweep: String? = nil,
                offset: Int = 0, limit: Int = 100) {
        self.kind = kind; self.model = model; self.hidden = hidden; self.state = state; self.sweep = sweep
        self.offset = offset; self.limit = limit
    }

    /// From decoded query parameters; an unknown key, a repeated key, a non-number or a value out
    /// of bounds is a 400 naming it. Empty values mean "any".
    public static func parse(_ params: [(String, String)], kinds: [String], models: [String]) throws(WebError) -> JobQuery {
        var q = JobQuery()
        var seen = Set<String>()
        func int(_ key: String, _ v: String, _ range: ClosedRange<Int>) throws(WebError) -> Int {
            guard v.count <= 12, let n = Int(v), range.contains(n) else {
                throw WebError(400, "\(key)=\(v.prefix(40)): expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        func oneOf(_ key: String, _ v: String, _ allowed: [String]) throws(WebError) -> String {
            guard allowed.contains(v) else {
                throw WebError(400, "\(key)=\(v.prefix(40)): expected one of \(allowed.joined(separator: ", "))")
            }
            return v
        }
        for (key, value) in params {
            guard keys.contains(key) else {
                throw WebError(400, "unknown query parameter \(key.prefix(40)); known: \(keys.sorted().joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else { throw WebError(400, "query parameter \(key) given twice") }
            if value.isEmpty { continue }
            switch key {
            case "kind": q.kind = try oneOf(key, value, kinds)
            case "model": q.model = try oneOf(key, value, models)
            case "hidden": q.hidden = try int(key, value, hiddens)
            case "state": q.state = try oneOf(key, value, states)
            case "sweep":
                guard value.count <= 200 else { throw WebError(400, "sweep: longer than 200 characters") }
                q.sweep = value
            case "offset": q.offset = try int(key, value, offsets)
            case "limit": q.limit = try int(key, value, limits)
            default: break
            }
        }
        return q
    }
}
