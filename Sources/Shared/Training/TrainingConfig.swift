// What the trainer is asked to do, and what it hands back.

/// The constraint applied to the recurrent matrix W after every optimizer step.
public enum RecurrentConstraint: String, Sendable, Hashable {
    /// Unconstrained (ReLU RNN, LSTM).
    case none
    /// W <- U V^T, the closest orthogonal matrix (URNN).
    case orthogonal
    /// W <- U min(S, 1) V^T, spectral norm at most 1 (contractive RNN).
    case contractive
}

public struct TrainingConfig: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: OptimizerKind
    /// Global gradient-norm clipping threshold; nil = none.
    public var clipNorm: Double?
    /// Seed of the per-epoch shuffles (epoch e uses sub-stream ("shuffle", e)).
    public var shuffleSeed: UInt64
    public var constraint: RecurrentConstraint
    /// Divergence guard: the learning rate is multiplied by this after each intervention.
    public var guardLRFactor: Double
    /// Divergence guard: interventions allowed before the run is declared diverged.
    public var guardMaxEvents: Int
    /// Divergence guard: a batch loss above `explodeFactor` x the variance of the training
    /// targets counts as exploding (predicting the mean scores 1x).
    public var explodeFactor: Double
    /// The epsilon of Adam's and RMSProp's denominators (Keras's 1e-7).
    public var optimizerEpsilon: Double = 1e-7

    public init(epochs: Int, batchSize: Int = 10, learningRate: Double = 0.01, optimizer: OptimizerKind = .adam,
                clipNorm: Double? = 1.0, shuffleSeed: UInt64 = 0, constraint: RecurrentConstraint = .none,
                guardLRFactor: Double = 0.5, guardMaxEvents: Int = 20, explodeFactor: Double = 1000) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.optimizer = optimizer
        self.clipNorm = clipNorm; self.shuffleSeed = shuffleSeed; self.constraint = constraint
        self.guardLRFactor = guardLRFactor; self.guardMaxEvents = guardMaxEvents; self.explodeFactor = explodeFactor
    }
}

public struct TrainingResult: Sendable {
    /// Parameters at the end: after the last completed epoch (or the last good state if diverged).
    public var params: [Float]
    /// True if the guard could not repair a divergence; `divergedEpoch` says where (1-based).
    public var diverged: Bool
    public var divergedEpoch: Int?
    /// Per completed epoch: mean training MSE over the epoch's batches, test MSE and test R^2
    /// of the parameters at the end of the epoch.
    public var trainLoss: [Double]
    public var testLoss: [Double]
    public var testR2: [Double]
    /// Test loss and R^2 of the initial parameters (epoch 0).
    public var initialTestLoss: Double
    public var initialTestR2: Double
    /// One line per divergence-guard intervention.
    public var events: [String]
    public var guardEvents: Int
    public var finalLearningRate: Double
    /// Guard interventions that clipped an unconstrained ReLU RNN's W to ||W|| <= 1.
    public var contractiveClips: Int = 0
}
