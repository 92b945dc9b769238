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
