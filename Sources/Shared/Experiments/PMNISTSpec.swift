import Foundation

/// The pixel-MNIST job (the paper's Figure 4): a recurrent classifier reads an image one pixel per
/// step (784 steps, in the fixed 92916 permutation unless `permuted` is false) and is scored on its
/// last state. Defaults are the paper's: RMSProp, lr 1e-3, batch 64, up to 100 epochs with early
/// stopping on validation accuracy.
public struct PMNISTSpec: Codable, Hashable, Sendable {
    public var model: ModelKind
    public var hidden: Int
    /// Dataset directory (four IDX files, docs/EXPERIMENTS.md); relative paths are resolved against
    /// the worker's working directory. Part of the job's identity.
    public var data: String
    public var learningRate: Double
    public var optimizer: OptimizerKind
    public var batchSize: Int
    /// Gradient-norm clipping threshold; nil = none (the paper's setting).
    public var clipNorm: Double?
    /// Upper bound on epochs.
    public var epochs: Int
    /// Early stopping: epochs without a better validation accuracy before the run ends.
    public var patience: Int
    /// Initialisation, validation split and batch order.
    public var seed: Int
    /// Pixels in the fixed permutation (permuted MNIST) or in reading order (sequential MNIST).
    public var permuted: Bool
    /// Validation images taken from the training set (nil: 5,000 for a full-size set, else 10%).
    public var validation: Int?
    /// Average-pool the 28 x 28 images by this factor first (nil = 1, the paper's). 4 gives 7 x 7 images
    /// and 49 steps: for fast tests and smoke runs only.
    public var pool: Int?
    /// Use only the first N training images after the validation split (nil = all): for smoke runs.
    public var trainLimit: Int?
    /// Use only the first N test images (nil = all): for smoke runs.
    public var testLimit: Int?
    /// Divergence guard (nil = 0.5 and 20, as the synthetic job).
    public var guardLRFactor: Double?
    public var guardMaxEvents: Int?

    public init(model: ModelKind, hidden: Int, data: String, learningRate: Double = 1e-3, optimizer: OptimizerKind = .rmsprop,
                batchSize: Int = 64, clipNorm: Double? = nil, epochs: Int = 100, patience: Int = 10, seed: Int = 0,
                permuted: Bool = true) {
        self.model = model; self.hidden = hidden; self.data = data; self.learningRate = learningRate
        self.optimizer = optimizer; self.batchSize = batchSize; self.clipNorm = clipNorm; self.epochs = epochs
        self.patience = patience; self.seed = seed; self.permuted = permuted
    }

    public var summary: String {
        "pmnist \(model.rawValue) h=\(hidden) lr=\(learningRate) \(optimizer.rawValue) seed=\(seed) ep<=\(epochs)"
            + (permuted ? "" : " sequential") + ((pool ?? 1) > 1 ? " pool=\(pool!)" : "")
    }

    /// Steps per sequence.
    public var steps: Int { let side = 28 / (pool ?? 1); return side * side }

    /// The one check of a pmnist spec (`KindSchema.validate`): every field's range, then the kernel's memory.
    public func validate() throws { try Self.schema.validate(JobSpec(pmnist: self)) }
}
