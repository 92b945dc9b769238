import Foundation

/// Everything the system knows about one job kind, registered once in `forKind`: its fields (with
/// their sweep keys, JSON keys, flags, ranges, defaults and help), how a set of field values becomes
/// a `JobSpec`, the one validation every path in uses, how it runs, and its one-line summary.
///
/// A new job kind is a spec type with its `+Fields` file declaring `schema`, a case in `JobKind`,
/// an optional payload property in `JobSpec` (the JSON of existing kinds does not change), and
/// one line in `forKind`.
public struct KindSchema: Sendable {
    public let kind: JobKind
    /// In declaration order: the order of docs/SWEEPS.md's table and of `unknown key` hints.
    public let fields: [FieldInfo]
    /// Sweep keys without a default: a sweep file must give them under `grid` or `fixed`.
    public let required: [String]
    /// Builds the job from field values by sweep key (keys known, values typed and in range).
    public let make: @Sendable ([String: FieldValue]) -> JobSpec
    /// Every field's value in a job of this kind, by sweep key (`.none` for unset optionals).
    public let values: @Sendable (JobSpec) -> [String: FieldValue]
    private let checkSpec: @Sendable (JobSpec) throws -> Void
    private let execute: @Sendable (JobSpec, JobContext, @escaping @Sendable (String) -> Void) throws -> JobOutcome
    private let describe: @Sendable (JobSpec) -> String

    /// The registration of every kind: the one `switch` over `JobKind`.
    public static func forKind(_ kind: JobKind) -> KindSchema {
        switch kind {
        case .synthetic: return SyntheticSpec.schema
        case .pmnist: return PMNISTSpec.schema
        case .theorem1, .theorem2, .theorem3: return TheorySpec.schema(kind)
        case .noop: return NoopSpec.schema
        }
    }

    /// Declares a kind whose parameters are a `Spec` carried in one optional `JobSpec` property.
    /// - payload: the name of that property (in "missing for kind ..." errors).
    /// - blank: a spec with every default; `make` sets the fields a sweep gives on top of it.
    /// - check: the checks that involve more than one field (each field's range is checked first).
    public init<Spec: Sendable>(
        kind: JobKind, payload: String, fields: [SpecField<Spec>], required: [String], blank: Spec,
        extract: @escaping @Sendable (JobSpec) -> Spec?, wrap: @escaping @Sendable (Spec) -> JobSpec,
        check: @escaping @Sendable (Spec) throws -> Void,
        run: @escaping @Sendable (Spec, JobContext, @escaping @Sendable (String) -> Void) throws -> JobOutcome,
        summary: @escaping @Sendable (Spec) -> String
    ) {
        self.kind = kind
        self.fields = fields.map(\.info)
        self.required = required
        self.make = { values in
            var s = blank
            for (key, value) in values {
                guard let f = fields.first(where: { $0.info.key == key }) else {
                    preconditionFailure("\(kind.rawValue) has no field \(key)")
                }
                f.set(&s, value)
            }
            return wrap(s)
        }
        self.values = { job in
            guard let s = extract(job) else { return [:] }
            var out: [String: FieldValue] = [:]
            for f in fields where f.info.json != nil { out[f.info.key] = f.get(s) }
            return out
        }
        let spec: @Sendable (JobSpec) throws -> Spec = { job in
            guard let s = extract(job) else { throw SpecError(field: payload, message: "missing for kind \(kind.rawValue)") }
            return s
        }
        self.checkSpec = { job in
            let s = try spec(job)
            try SpecField.checkRanges(s, fields)
            try check(s)
        }
        self.execute = { job, context, progress in try run(try spec(job), context, progress) }
        self.describe = { job in (try? spec(job)).map(summary) ?? "\(kind.rawValue)(?)" }
    }

    public func field(_ key: String) -> FieldInfo? { fields.first { $0.key == key } }
    public func field(json: String) -> FieldInfo? { fields.first { $0.json == json } }

    /// The one check of a job of this kind, whichever way it came: sweep file, command line,
    /// `exec --spec`, import or ASSIGN. Throws `SpecError` named by the JSON key.
    public func validate(_ job: JobSpec) throws {
        guard job.kind == kind else { throw SpecError(field: "kind", message: "is \(job.kind.rawValue), not \(kind.rawValue)") }
        try checkSpec(job)
    }

    /// Runs a job of this kind (validated first).
    public func run(_ job: JobSpec, context: JobContext, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        try validate(job)
        return try execute(job, context, progress)
    }

    public func summary(_ job: JobSpec) -> String { describe(job) }

    /// `error` with its field named as `vocabulary` names it: the sweep key (`train`), the flag
    /// (`--train-sequences`) or the JSON key (`trainSequences`); the message is the same.
    public func describe(_ error: SpecError, as vocabulary: FieldVocabulary) -> String {
        let f = field(json: error.field)
        let name: String
        switch vocabulary {
        case .sweepKey: name = f?.key ?? error.field
        case .flag: name = f?.flag.map { "--" + $0 } ?? error.field
        case .json: name = error.field
        }
        return "invalid \(name): \(error.message)"
    }
}

/// Which name of a field a message uses.
public enum FieldVocabulary: Sendable {
    case sweepKey, flag, json
}
