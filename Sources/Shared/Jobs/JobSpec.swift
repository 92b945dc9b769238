import Foundation

/// What kind of work a job is. A new kind is registered in `KindSchema.forKind`.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    /// The paper's synthetic contractive-teacher experiment (Figures 2, 3).
    case synthetic
    /// Theorem demonstrations (see docs/THEORY.md).
    case theorem1, theorem2, theorem3
    /// Pixel-by-pixel (permuted) MNIST classification (Figure 4).
    case pmnist
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
    public var pmnist: PMNISTSpec?

    public static let currentVersion = 1

    public init(synthetic: SyntheticSpec) {
        version = Self.currentVersion; kind = .synthetic; self.synthetic = synthetic
    }
    public init(kind: JobKind, theory: TheorySpec) {
        version = Self.currentVersion; self.kind = kind; self.theory = theory
    }
    public init(pmnist: PMNISTSpec) {
        version = Self.currentVersion; kind = .pmnist; self.pmnist = pmnist
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

    /// Everything known about this job's kind: fields, validation, how it runs.
    public var schema: KindSchema { KindSchema.forKind(kind) }

    /// A one-line human description, for logs and progress lines.
    public var summary: String { schema.summary(self) }

    /// Checks the spec is well-formed for its kind; throws `SpecError` naming the field by its
    /// JSON key. The one check for every path a spec comes in by (sweep file, command line,
    /// `exec --spec`, import, ASSIGN): `KindSchema.validate`.
    public func validate() throws {
        guard version == Self.currentVersion else {
            throw SpecError(field: "version", message: "unsupported spec version \(version) (this build speaks \(Self.currentVersion))")
        }
        try schema.validate(self)
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
    /// The largest `count` a sweep file may give (the most jobs a sweep may have).
    public static let maxCount = 2_000_000

    public static let fields: [SpecField<NoopSpec>] = [
        .int(FieldInfo("token", .int, default: "required", help: "the job's number; echoed as its `token` metric"), \.token),
        SpecField(FieldInfo("sleep_ms", json: "sleepMilliseconds", .int, range: .integers(0, maxSleepMilliseconds), default: "0",
                            help: "sleep this long before returning (0: return at once)"),
                  get: { $0.sleepMilliseconds.map(FieldValue.int) ?? .none },
                  set: { $0.sleepMilliseconds = $1 == .none || $1.intValue == 0 ? nil : $1.intValue }),
        // nil (not false) when unset, so plain noop ids stay as they were.
        SpecField(FieldInfo("fail", .bool, default: "false",
                            help: "fail with a retryable error after the sleep, to exercise the retry limit"),
                  get: { .bool($0.fail ?? false) },
                  set: { $0.fail = $1.boolValue ? true : nil }),
        // Sweep files only: `count: N` under fixed is shorthand for the axis `token: 0..<N`.
        SpecField(.shorthand("count", .int, range: .integers(1, maxCount), help: "under `fixed`: shorthand for the axis `token: 0..<N`"),
                  get: { _ in .none }, set: { _, _ in preconditionFailure("count is expanded by the sweep reader") }),
    ]

    public static let schema = KindSchema(
        kind: .noop, payload: "noop", fields: fields, required: ["token"],
        blank: NoopSpec(token: 0), extract: \.noop, wrap: { JobSpec(noop: $0) },
        check: { _ in },
        run: { n, _, _ in
            if let ms = n.sleepMilliseconds, ms > 0 { Thread.sleep(forTimeInterval: Double(ms) / 1000) }
            if n.fail == true { throw NoopFailure(token: n.token) }
            return JobOutcome(metrics: [Metric.token: Double(n.token)].byName)
        },
        summary: { "noop \($0.token)" })

    /// The one check of a noop spec, whichever way it came (sweep file, `exec --spec`, ASSIGN).
    public func validate() throws { try Self.schema.validate(JobSpec(noop: self)) }
}

/// The error a noop job with `fail: true` throws.
public struct NoopFailure: Error, CustomStringConvertible, Sendable {
    public var token: Int
    public var description: String { "noop job \(token) failed on purpose (fail: true)" }
}
