import Foundation

/// What kind of work a job is. New kinds are added here and in `JobExecutor`.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    /// The paper's synthetic contractive-teacher experiment (Figures 2, 3).
    case synthetic
    /// Theorem demonstrations (see docs/THEORY.md).
    case theorem1, theorem2, theorem3
    /// Does nothing but echo; kept for benchmarking the coordinator.
    case noop
}

/// One unit of work, exactly as it travels over the wire and sits in the store.
///
/// A job's identity is `id`: the first 32 hex digits of the SHA-256 of its
/// canonical JSON (sorted keys, no whitespace). The same sweep therefore always
/// expands to the same ids, and a result can never be stored under two ids.
/// Optional fields left nil are omitted from the canonical form, so adding a new
/// optional field does not change the ids of existing specs.
public struct JobSpec: Codable, Hashable, Sendable {
    /// Format version of the spec; bump when a change alters the meaning of old specs.
    public var version: Int
    public var kind: JobKind
    public var synthetic: SyntheticSpec?
    public var theory: TheorySpec?
    public var noop: NoopSpec?

    public static let currentVersion = 1

    public init(synthetic: SyntheticSpec) {
        version = Self.currentVersion; kind = .synthetic; self.synthetic = synthetic
    }
    public init(kind: JobKind, theory: TheorySpec) {
        version = Self.currentVersion; self.kind = kind; self.theory = theory
    }
    public init(noop: NoopSpec) {
        version = Self.currentVersion; kind = .noop; self.noop = noop
    }

    /// Canonical bytes: sorted keys, no insignificant whitespace.
    public func canonicalJSON() -> Data {
        // Encoding a value type made only of numbers, strings, bools and enums cannot fail.
        try! JSON.encode(self)
    }

    /// Stable identity: 32 hex digits (128 bits) of SHA-256 over the canonical JSON.
    public var id: String { String(SHA256.hex(canonicalJSON()).prefix(32)) }

    /// A one-line human description, for logs and progress lines.
    public var summary: String {
        switch kind {
        case .synthetic: return synthetic.map { $0.summary } ?? "synthetic(?)"
        case .theorem1, .theorem2, .theorem3: return "\(kind.rawValue) " + (theory.map { $0.summary } ?? "?")
        case .noop: return "noop \(noop?.token ?? 0)"
        }
    }

    /// Checks the spec is well-formed for its kind; throws `SpecError` naming the field.
    public func validate() throws {
        guard version == Self.currentVersion else {
            throw SpecError(field: "version", message: "unsupported spec version \(version) (this build speaks \(Self.currentVersion))")
        }
        switch kind {
        case .synthetic:
            guard let s = synthetic else { throw SpecError(field: "synthetic", message: "missing for kind synthetic") }
            try s.validate(); try s.validateLimits()
        case .theorem1, .theorem2, .theorem3:
            guard let t = theory else { throw SpecError(field: "theory", message: "missing for kind \(kind.rawValue)") }
            try t.validate(kind: kind)
        case .noop:
            guard let n = noop else { throw SpecError(field: "noop", message: "missing for kind noop") }
            try n.validate()
        }
    }
}

/// A spec field with a bad value.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { "invalid \(field): \(message)" }
}

/// The `noop` job: returns at once (or after `sleepMilliseconds`), for
/// coordinator benchmarks and protocol tests.
public struct NoopSpec: Codable, Hashable, Sendable {
    public var token: Int
    public var sleepMilliseconds: Int?
    /// If true the job fails (a retryable error) after its sleep: exercises the retry limit
    /// end to end. nil (not false) when unset, so plain noop ids stay as they were.
    public var fail: Bool?
    public init(token: Int, sleepMilliseconds: Int? = nil, fail: Bool? = nil) {
        self.token = token; self.sleepMilliseconds = sleepMilliseconds; self.fail = fail
    }

    /// The longest sleep a noop job may ask for: one day.
    public static let maxSleepMilliseconds = 86_400_000

    /// The one check of a noop spec, whichever way it came (sweep file, `exec --spec`, ASSIGN).
    public func validate() throws {
        if let ms = sleepMilliseconds, !(0...Self.maxSleepMilliseconds).contains(ms) {
            throw SpecError(field: "sleepMilliseconds", message: "must be in 0...\(Self.maxSleepMilliseconds), got \(ms)")
        }
    }
}

/// The error a noop job with `fail: true` throws.
public struct NoopFailure: Error, CustomStringConvertible, Sendable {
    public var token: Int
    public var description: String { "noop job \(token) failed on purpose (fail: true)" }
}
