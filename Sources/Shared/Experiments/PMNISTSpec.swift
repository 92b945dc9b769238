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

    public func validate() throws {
        func bad(_ f: String, _ m: String) -> SpecError { SpecError(field: f, message: m) }
        guard (1...4096).contains(hidden) else { throw bad("hidden", "must be in 1...4096, got \(hidden)") }
        guard !data.isEmpty, data.utf8.count <= 4096, !data.contains("\0") else {
            throw bad("data", "must name a dataset directory (1-4096 bytes, no NUL)")
        }
        guard learningRate.isFinite, learningRate > 0, learningRate < 10 else { throw bad("lr", "must be in (0, 10), got \(learningRate)") }
        guard (1...4096).contains(batchSize) else { throw bad("batch", "must be in 1...4096, got \(batchSize)") }
        if let c = clipNorm { guard c.isFinite, c > 0 else { throw bad("clip", "must be finite and > 0, got \(c)") } }
        guard (1...10_000).contains(epochs) else { throw bad("epochs", "must be in 1...10000, got \(epochs)") }
        guard (1...10_000).contains(patience) else { throw bad("patience", "must be in 1...10000, got \(patience)") }
        if let v = validation { guard v >= 1 else { throw bad("validation", "must be at least 1, got \(v)") } }
        if let p = pool { guard [1, 2, 4, 7, 14, 28].contains(p) else { throw bad("pool", "must divide 28 (1, 2, 4, 7, 14 or 28), got \(p)") } }
        if let l = trainLimit { guard l >= 1 else { throw bad("train-limit", "must be at least 1, got \(l)") } }
        if let l = testLimit { guard l >= 1 else { throw bad("test-limit", "must be at least 1, got \(l)") } }
        if let f = guardLRFactor { guard f.isFinite, f > 0, f < 1 else { throw bad("guard-lr-factor", "must be in (0, 1), got \(f)") } }
        if let m = guardMaxEvents { guard m >= 0 else { throw bad("guard-max-events", "must be >= 0, got \(m)") } }
        // Memory of one job's kernel (the LSTM keeps its gates for every step): bounded.
        let nPad = (hidden + 7) / 8 * 8
        let floats = Double(steps + 1) * Double(batchSize) * Double(nPad) * (model == .lstm ? 7 : 1)
        guard floats * 4 <= 8e9 else {
            throw bad("hidden", "hidden \(hidden) x batch \(batchSize) x \(steps) steps needs \(Int(floats * 4 / 1e9)) GB of kernel memory (limit 8)")
        }
    }
}
