/// The first-order optimizers of `Optimizer` (Keras's constants; see Optimizer.swift).
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case adam, rmsprop, sgd
}
