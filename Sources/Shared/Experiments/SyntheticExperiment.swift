import Foundation

/// The synthetic contractive-teacher experiment: build the teacher and data of
/// `spec.realization`, train the student, measure test R^2. (Stub: filled by the training core.)
public enum SyntheticExperiment {
    public static func run(_ spec: SyntheticSpec, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        throw SpecError(field: "kind", message: "synthetic jobs are not implemented in this build")
    }
}
