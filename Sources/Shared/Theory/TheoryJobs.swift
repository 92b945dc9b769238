import Foundation

/// Runs the theorem demonstration job kinds. (Stub: filled by the theory module.)
public enum TheoryJobs {
    public static func run(kind: JobKind, spec: TheorySpec, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        throw SpecError(field: "kind", message: "\(kind.rawValue) jobs are not implemented in this build")
    }
}
