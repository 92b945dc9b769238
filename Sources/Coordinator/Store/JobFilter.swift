import Foundation
import Shared

/// A selection of jobs by spec fields, as `--where model=lstm,hidden=14` says: every pair must
/// hold. Keys are sweep-file keys (docs/SWEEPS.md) of any job kind, or `kind`; values are
/// checked against the field's type. Bounded: at most `maxPairs` pairs and `maxLength`
/// characters, so a steering rule stays small.
public struct JobFilter: Sendable, Equatable, CustomStringConvertible {
    public static let maxPairs = 16
    public static let maxLength = 1024

    public struct Pair: Sendable, Equatable {
        public var key: String
        public var value: String
    }

    /// In the order written; no key twice. Empty: every job.
    public private(set) var pairs: [Pair]

    public static let all = JobFilter(pairs: [])

    init(pairs: [Pair]) { self.pairs = pairs }

    /// `key=value[,key=value...]` (spaces around items ignored); "" selects every job.
    public init(parsing text: String) throws(FilterError) {
        guard text.count <= Self.maxLength else {
            throw FilterError("--where is \(text.count) characters; at most \(Self.maxLength)")
        }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if text.trimmingCharacters(in: .whitespaces).isEmpty { pairs = []; return }
        guard items.count <= Self.maxPairs else {
            throw FilterError("--where has \(items.count) conditions; at most \(Self.maxPairs)")
        }
        var out: [Pair] = []
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw FilterError("'\(item)' is not key=value (e.g. --where model=lstm,hidden=14)")
            }
            let (key, value) = (parts[0], parts[1])
            if out.contains(where: { $0.key == key }) { throw FilterError("'\(key)' is given twice") }
            try Self.check(key: key, value: value)
            out.append(Pair(key: key, value: value))
        }
        pairs = out
    }

    /// The sweep keys of every job kind, and each one's types (a key may exist in several kinds).
    static let fieldTypes: [String: [FieldType]] = {
        var m: [String: [FieldType]] = [:]
        for kind in JobKind.allCases { for f in KindSchema.forKind(kind).fields { m[f.key, default: []].append(f.type) } }
        return m
    }()

    static func check(key: String, value: String) throws(FilterError) {
        if key == "kind" {
            guard JobKind(rawValue: value) != nil else {
                throw FilterError("kind=\(value): expected one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return
        }
        guard let types = fieldTypes[key] else {
            throw FilterError("unknown key '\(key)' (expected kind or a sweep field such as "
                              + "\(fieldTypes.keys.sorted().prefix(12).joined(separator: ", ")), ...; docs/SWEEPS.md lists them)")
        }
        guard value.count <= 256 else { throw FilterError("the value of \(key) is longer than 256 characters") }
        if !types.contains(where: { accepts($0, value) }) {
            var said: [String] = []
            for t in types.map(\.description) where !said.contains(t) { said.append(t) }
            throw FilterError("\(key)=\(value): expected \(said.joined(separator: " or "))")
        }
    }

    static func accepts(_ type: FieldType, _ value: String) -> Bool {
        switch type {
        case .int: return Int(value) != nil
        case .double: return Double(value)?.isFinite == true
        case .optionalDouble: return value == "none" || Double(value)?.isFinite == true
        case .bool: return value == "true" || value == "false"
        case .choice(let words): return words.contains(value)
        case .text: return true
        }
    }

    /// True when the job (its canonical spec JSON) satisfies every pair. A field the spec
    /// leaves out (an optional left at its default) matches only `none`.
    public func matches(specJSON: Data) -> Bool {
        guard !pairs.isEmpty else { return true }
        guard let root = (try? JSONSerialization.jsonObject(with: specJSON)) as? [String: Any],
              let kindText = root["kind"] as? String, let kind = JobKind(rawValue: kindText) else { return false }
        let body: [String: Any]
        switch kind {
        case .theorem1, .theorem2, .theorem3: body = root["theory"] as? [String: Any] ?? [:]
        default: body = root[kind.rawValue] as? [String: Any] ?? [:]
        }
        let schema = KindSchema.forKind(kind)
        for p in pairs {
            if p.key == "kind" { if p.value != kindText { return false } else { continue } }
            guard let field = schema.field(p.key) else { return false }
            // The field's key in the spec's JSON (one declaration per field: KindSchema).
            let value = field.json.flatMap { body[$0] }
            guard Self.equal(value, p.value) else { return false }
        }
        return true
    }

    static func equal(_ json: Any?, _ value: String) -> Bool {
        switch json {
        case nil, is NSNull: return value == "none"
        case let s as String: return s == value
        case let b as Bool where value == "true" || value == "false": return b == (value == "true")
        case let n as NSNumber: return Double(value).map { $0 == n.doubleValue } ?? false
        default: return false
        }
    }

    /// `key=value,...` as given ("" for every job): the stored form of a rule.
    public var description: String { pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }

    /// True when every job this filter selects is also selected by `other` (its pairs include
    /// `other`'s): `resume --where model=lstm` lifts a pause on `model=lstm,hidden=14`.
    public func isNarrower(than other: JobFilter) -> Bool {
        other.pairs.allSatisfy { o in pairs.contains(o) }
    }
}

/// A `--where` that cannot be used, with what was wrong.
public struct FilterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
