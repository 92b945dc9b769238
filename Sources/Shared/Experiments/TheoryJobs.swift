import Foundation

/// Runs the theorem demonstration job kinds (theorem1, theorem2, theorem3). See docs/THEORY.md.
/// Deterministic: every random draw comes from `Xoshiro256` streams derived from `spec.seed`.
public enum TheoryJobs {
    public static func run(kind: JobKind, spec: TheorySpec, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        try spec.validate(kind: kind)
        switch kind {
        case .theorem1: return try Theorem1.run(spec: spec, progress: progress).outcome
        case .theorem2: return try Theorem2.run(spec: spec, progress: progress).outcome
        case .theorem3: return try Theorem3.run(spec: spec, progress: progress).outcome
        default: throw SpecError(field: "kind", message: "\(kind.rawValue) is not a theorem kind")
        }
    }
}
