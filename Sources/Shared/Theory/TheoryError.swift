/// Everything that can go wrong in the theory module, with the reason spelled out.
public enum TheoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A model file or inline model is not a valid RNN: missing field, wrong shape, non-finite entry.
    case malformedModel(field: String, reason: String)
    /// The construction needs ||W|| < 1 (with a small margin for a certificate in Double).
    case notContractive(norm: Double, limit: Double)
    /// The construction is for ReLU RNNs only.
    case unsupportedActivation(Activation)
    /// An input left the bound M that the bias was derived for.
    case inputOutOfBound(step: Int, norm: Double, bound: Double)
    /// The model has no input bound M, which the construction needs.
    case missingInputBound
    /// The SVD (routine "jacobi-svd", the project's Swift SVD; the case name is from when it was LAPACK) failed.
    case lapack(routine: String, info: Int, detail: String)
    /// A bad argument to a demonstration (sizes, lists).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .malformedModel(field, reason): return "malformed model: \(field): \(reason)"
        case let .notContractive(norm, limit):
            return "not contractive: ||W|| = \(norm) but the construction needs ||W|| < \(limit) (I - W^T W must be positive definite)"
        case let .unsupportedActivation(a): return "the 2n-state construction is for ReLU RNNs; this model uses \(a.rawValue)"
        case let .inputOutOfBound(step, norm, bound):
            return "input at step \(step) has norm \(norm) > bound M = \(bound): the bias on the extra states was derived for ||x|| <= M, so equivalence is no longer guaranteed"
        case .missingInputBound: return "the model has no inputBound M; the construction needs one (set \"inputBound\" in the file or --input-bound)"
        case let .lapack(routine, info, detail): return "\(routine) failed (info \(info)): \(detail)"
        case let .invalidArgument(s): return "invalid argument: \(s)"
        }
    }
}
