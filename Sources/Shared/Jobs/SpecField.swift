import Foundation

// One declaration per spec field (issue 11, "one name per thing"): its sweep-file key, its JSON key
// in the stored spec, its command-line flag, type, range, default and help. The sweep reader, the
// standalone commands, `JobSpec.validate()`, `plan` and docs/SWEEPS.md's tables all read it, so a
// field is named, bounded and documented in one place. Each kind's list is in its spec's
// `+Fields` file (SyntheticSpec+Fields.swift, ...); `KindSchema` registers the kinds.

/// The type a field's values have, as a sweep file or a command line writes them.
public enum FieldType: Sendable, Equatable {
    case int
    case double
    /// A number, or `none`/`null` for "not set" (e.g. `clip: none` = no clipping).
    case optionalDouble
    case bool
    /// One of the listed words.
    case choice([String])
    /// Free text (a path).
    case text

    public var description: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a number"
        case .optionalDouble: return "a number or none"
        case .bool: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .text: return "a text"
        }
    }
}

/// A typed value of one field.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    /// An explicitly absent optional value (`none` or `null` in a sweep file, nil in JSON).
    case none

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return Self.format(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        case .none: return "none"
        }
    }

    /// Shortest round-tripping form of a number: "20", "0.01", "1e-05".
    public static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }

    public var intValue: Int {
        if case .int(let v) = self { return v }
        preconditionFailure("field value is not an integer: \(self)")
    }
    public var doubleValue: Double {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: preconditionFailure("field value is not a number: \(self)")
        }
    }
    public var optionalDoubleValue: Double? { self == .none ? nil : doubleValue }
    public var boolValue: Bool {
        if case .bool(let v) = self { return v }
        preconditionFailure("field value is not a boolean: \(self)")
    }
    public var stringValue: String {
        if case .string(let v) = self { return v }
        preconditionFailure("field value is not a string: \(self)")
    }
}

/// The values a field accepts, beyond its type. `check` gives the one message every path in
/// (sweep file, command line, `exec --spec`, ASSIGN) reports for a value outside it.
public enum FieldRange: Sendable, Equatable {
    /// Any value of the type.
    case any
    /// Integers from `lo`, up to `hi` if given (both inclusive).
    case integers(Int, Int?)
    /// One of these integers.
    case oneOf([Int])
    /// Finite numbers between the bounds given; `open` excludes the bound itself.
    case numbers(low: Double?, lowOpen: Bool, high: Double?, highOpen: Bool)

    public static func greaterThan(_ x: Double) -> Self { .numbers(low: x, lowOpen: true, high: nil, highOpen: false) }
    public static func atLeast(_ x: Double) -> Self { .numbers(low: x, lowOpen: false, high: nil, highOpen: false) }
    /// [lo, hi]
    public static func closed(_ lo: Double, _ hi: Double) -> Self { .numbers(low: lo, lowOpen: false, high: hi, highOpen: false) }
    /// (lo, hi)
    public static func open(_ lo: Double, _ hi: Double) -> Self { .numbers(low: lo, lowOpen: true, high: hi, highOpen: true) }
    /// (lo, hi]
    public static func openClosed(_ lo: Double, _ hi: Double) -> Self { .numbers(low: lo, lowOpen: true, high: hi, highOpen: false) }
    /// [lo, hi)
    public static func closedOpen(_ lo: Double, _ hi: Double) -> Self { .numbers(low: lo, lowOpen: false, high: hi, highOpen: true) }
    /// 1 to `maxBytes` bytes of UTF-8, no NUL.
    case text(maxBytes: Int)

    /// "in 1...4096", ">= 0", "in (0, 1)", "> 0", "one of 1, 2, 4": what the docs and messages say.
    public var phrase: String? {
        switch self {
        case .any, .text: return nil
        case .integers(let lo, nil): return ">= \(lo)"
        case .integers(let lo, let hi?): return "in \(lo)...\(hi)"
        case .oneOf(let values): return "one of " + values.map(String.init).joined(separator: ", ")
        case .numbers(let lo?, let lowOpen, let hi?, let highOpen):
            return "in \(lowOpen ? "(" : "[")\(FieldValue.format(lo)), \(FieldValue.format(hi))\(highOpen ? ")" : "]")"
        case .numbers(let lo?, let lowOpen, nil, _): return "\(lowOpen ? ">" : ">=") \(FieldValue.format(lo))"
        case .numbers(nil, _, let hi?, let highOpen): return "\(highOpen ? "<" : "<=") \(FieldValue.format(hi))"
        case .numbers(nil, _, nil, _): return nil
        }
    }

    /// nil if `value` is in range, else the message ("must be in 1...4096, got 0").
    public func check(_ value: FieldValue) -> String? {
        switch (self, value) {
        case (_, .none), (.any, _): return nil
        case (.integers(let lo, let hi), .int(let v)):
            return v >= lo && v <= (hi ?? .max) ? nil : "must be \(phrase!), got \(v)"
        case (.oneOf(let values), .int(let v)):
            return values.contains(v) ? nil : "must be \(phrase!), got \(v)"
        case (.numbers(let lo, let lowOpen, let hi, let highOpen), .double(let v)):
            var ok = v.isFinite
            if let lo { ok = ok && (lowOpen ? v > lo : v >= lo) }
            if let hi { ok = ok && (highOpen ? v < hi : v <= hi) }
            return ok ? nil : "must be a finite number" + (phrase.map { " " + $0 } ?? "") + ", got \(FieldValue.format(v))"
        case (.text(let maxBytes), .string(let s)):
            return !s.isEmpty && s.utf8.count <= maxBytes && !s.contains("\0") ? nil : "must be 1-\(maxBytes) bytes of text without NUL"
        default:
            return nil
        }
    }
}

/// What is known about one field of one job kind: the declaration every reader uses.
public struct FieldInfo: Sendable {
    /// Key in a sweep file (`train`); also the name in docs/SWEEPS.md's tables.
    public let key: String
    /// Key in the spec's JSON (`trainSequences`): what a stored spec, `exec --spec` and ASSIGN carry,
    /// and what `SpecError.field` names. nil for a sweep-file shorthand (noop's `count`).
    public let json: String?
    /// Long option of the standalone command (`urnn-worker run`, `urnn-worker theory`) without the
    /// dashes (`train-sequences`); nil where no command sets the field. For a bool that defaults
    /// to true the option is the switch that turns it off (`no-normalize-a`).
    public let flag: String?
    public let type: FieldType
    public let range: FieldRange
    /// The default as the docs print it ("700", "none", "all"); "required" for a field without one.
    public let defaultText: String
    /// One line of help: the docs' "meaning" column and the command's option help.
    public let help: String
    /// Sweep keys to point at when this field kept its default but clashes with them (`train` with `sequences`).
    public let related: [String]
    /// Whether a sweep file may set it (theorem jobs take only `n` and `seed` from sweep files).
    public let inSweeps: Bool

    /// `json` defaults to `key`.
    public init(_ key: String, json: String? = nil, flag: String? = nil, _ type: FieldType, range: FieldRange = .any,
                default defaultText: String, help: String, related: [String] = [], inSweeps: Bool = true) {
        self.init(key: key, json: json ?? key, flag: flag, type: type, range: range, defaultText: defaultText,
                  help: help, related: related, inSweeps: inSweeps)
    }

    private init(key: String, json: String?, flag: String?, type: FieldType, range: FieldRange, defaultText: String,
                 help: String, related: [String], inSweeps: Bool) {
        self.key = key; self.json = json; self.flag = flag; self.type = type; self.range = range
        self.defaultText = defaultText; self.help = help; self.related = related; self.inSweeps = inSweeps
    }

    /// A sweep-file shorthand with no JSON key of its own (noop's `count`).
    public static func shorthand(_ key: String, _ type: FieldType, range: FieldRange, help: String) -> FieldInfo {
        FieldInfo(key: key, json: nil, flag: nil, type: type, range: range, defaultText: "-", help: help, related: [], inSweeps: true)
    }

    /// The type and range as the docs' "type" column writes them: "integer in 1...4096", "number > 0 or `none`".
    public var typeText: String {
        let r = range.phrase.map { " " + $0 } ?? ""
        switch type {
        case .int:
            if case .oneOf(let v) = range { return v.map(String.init).joined(separator: ", ") }
            return "integer" + r
        case .double: return "number" + r
        case .optionalDouble: return "number" + r + " or `none`"
        case .bool: return "true, false"
        case .choice(let words): return words.joined(separator: ", ")
        case .text: return "text (a path)"
        }
    }

    /// Checks a value's type-independent range (choices included); nil if it is acceptable.
    public func check(_ value: FieldValue) -> String? {
        if case .choice(let words) = type, case .string(let s) = value, !words.contains(s) {
            return "unknown \(key) '\(s)' (expected one of \(words.joined(separator: ", ")))"
        }
        return range.check(value)
    }
}

/// A field of spec type `Spec`: its declaration, and how to read and write it.
public struct SpecField<Spec>: Sendable {
    public let info: FieldInfo
    /// The field's value in a spec (`.none` for an unset optional).
    public let get: @Sendable (Spec) -> FieldValue
    /// Sets the field from a value of its type (already checked).
    public let set: @Sendable (inout Spec, FieldValue) -> Void

    public init(_ info: FieldInfo, get: @escaping @Sendable (Spec) -> FieldValue, set: @escaping @Sendable (inout Spec, FieldValue) -> Void) {
        self.info = info; self.get = get; self.set = set
    }

    public static func int(_ info: FieldInfo, _ path: WritableKeyPath<Spec, Int> & Sendable) -> Self {
        Self(info, get: { .int($0[keyPath: path]) }, set: { $0[keyPath: path] = $1.intValue })
    }
    public static func int(_ info: FieldInfo, _ path: WritableKeyPath<Spec, Int?> & Sendable) -> Self {
        Self(info, get: { $0[keyPath: path].map(FieldValue.int) ?? .none }, set: { $0[keyPath: path] = $1 == .none ? nil : $1.intValue })
    }
    public static func double(_ info: FieldInfo, _ path: WritableKeyPath<Spec, Double> & Sendable) -> Self {
        Self(info, get: { .double($0[keyPath: path]) }, set: { $0[keyPath: path] = $1.doubleValue })
    }
    public static func double(_ info: FieldInfo, _ path: WritableKeyPath<Spec, Double?> & Sendable) -> Self {
        Self(info, get: { $0[keyPath: path].map(FieldValue.double) ?? .none }, set: { $0[keyPath: path] = $1.optionalDoubleValue })
    }
    public static func bool(_ info: FieldInfo, _ path: WritableKeyPath<Spec, Bool> & Sendable) -> Self {
        Self(info, get: { .bool($0[keyPath: path]) }, set: { $0[keyPath: path] = $1.boolValue })
    }
    public static func text(_ info: FieldInfo, _ path: WritableKeyPath<Spec, String> & Sendable) -> Self {
        Self(info, get: { .string($0[keyPath: path]) }, set: { $0[keyPath: path] = $1.stringValue })
    }
    public static func choice<E: RawRepresentable & Sendable>(_ info: FieldInfo, _ path: WritableKeyPath<Spec, E> & Sendable) -> Self
    where E.RawValue == String {
        Self(info, get: { .string($0[keyPath: path].rawValue) }, set: { $0[keyPath: path] = E(rawValue: $1.stringValue)! })
    }

    /// Checks every field's range in `spec`; throws the first `SpecError`, named by its JSON key.
    public static func checkRanges(_ spec: Spec, _ fields: [SpecField<Spec>]) throws {
        for f in fields {
            guard let json = f.info.json else { continue }
            if let message = f.info.check(f.get(spec)) { throw SpecError(field: json, message: message) }
        }
    }
}
