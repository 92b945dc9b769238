import Foundation

/// Student model families.
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    /// ReLU RNN, unconstrained W.
    case rnn
    /// ReLU RNN with W projected onto the orthogonal matrices (U V^T of its SVD) after every step.
    case urnn
    /// ReLU RNN with W's singular values clipped to at most 1 after every step.
    case crnn
    /// LSTM with a linear readout.
    case lstm
}

/// How a student's parameters start (docs/REPRODUCTION.md, "initialisation").
public enum StudentInit: String, Codable, Sendable, CaseIterable {
    /// Keras's defaults, as the paper's authors used: Glorot-uniform input and readout kernels,
    /// orthogonal recurrent kernel, zero biases (LSTM forget-gate bias 1).
    case keras
    /// As `keras`, but the recurrent matrix W starts as the identity (Le et al.'s IRNN). ReLU students only.
    case identity
    /// As `keras`, with the orthogonal W's determinant made +1 (a rotation): a URNN stays in the
    /// component of the orthogonal group it starts in, and half of Keras's draws start in det -1.
    case rotation
}

/// How the output noise variance is set from the target SNR.
public enum NoiseRule: String, Codable, Sendable, CaseIterable {
    /// noise var = 10^(-SNR/10) * var(y0) per output: optimal R^2 = 1/(1+10^(-SNR/10)) (the poster).
    case variance
    /// noise var = 10^(-SNR/10) * mean(y0^2) (the authors' script).
    case meanSquare
}

/// The synthetic contractive-teacher job (Figures 2 and 3). Defaults are the paper's.
public struct SyntheticSpec: Codable, Hashable, Sendable {
    public var model: ModelKind
    public var hidden: Int
    public var snrDB: Double
    /// Fixes the teacher and its data; every model and size of one realization sees the same data.
    public var realization: Int
    /// Student seed (initialisation and batch order). Results depend only on spec + seed.
    public var seed: Int
    public var epochs: Int
    public var learningRate: Double
    public var optimizer: OptimizerKind
    public var batchSize: Int
    /// Gradient-norm clipping threshold; nil = no clipping.
    public var clipNorm: Double?
    public var sequences: Int
    public var steps: Int
    public var trainSequences: Int
    public var inputs: Int
    public var teacherHidden: Int
    public var outputs: Int
    /// Teacher W = I - eps A^T A / ||A||^2.
    public var eps: Double
    /// If false, W = I - eps A^T A (the authors' script variant, without the division).
    public var normalizeA: Bool
    public var noiseRule: NoiseRule
    /// Bias-calibration sequences (nil = 100, the paper's). Optional so existing job ids are unchanged.
    public var calibrationSequences: Int?
    /// Bias-calibration rounds (nil = 100, the paper's).
    public var calibrationRounds: Int?
    /// Divergence guard: learning-rate factor after each intervention (nil = 0.5). See docs/EXPERIMENTS.md.
    public var guardLRFactor: Double?
    /// Divergence guard: interventions allowed in one job before it is declared diverged (nil = 20).
    public var guardMaxEvents: Int?
    /// Student initialisation (nil = keras, the authors' choice).
    public var initialization: StudentInit?
    /// The epsilon in Adam's and RMSProp's denominators (nil = 1e-7, Keras's default).
    public var optimizerEpsilon: Double?

    public init(model: ModelKind, hidden: Int, snrDB: Double = 20, realization: Int = 0, seed: Int = 0,
                epochs: Int = 100, learningRate: Double = 0.01, optimizer: OptimizerKind = .adam,
                batchSize: Int = 10, clipNorm: Double? = 1.0, sequences: Int = 1000, steps: Int = 1000,
                trainSequences: Int = 700, inputs: Int = 2, teacherHidden: Int = 4, outputs: Int = 2,
                eps: Double = 0.01, normalizeA: Bool = true, noiseRule: NoiseRule = .variance) {
        self.model = model; self.hidden = hidden; self.snrDB = snrDB; self.realization = realization
        self.seed = seed; self.epochs = epochs; self.learningRate = learningRate; self.optimizer = optimizer
        self.batchSize = batchSize; self.clipNorm = clipNorm; self.sequences = sequences; self.steps = steps
        self.trainSequences = trainSequences; self.inputs = inputs; self.teacherHidden = teacherHidden
        self.outputs = outputs; self.eps = eps; self.normalizeA = normalizeA; self.noiseRule = noiseRule
    }

    public var summary: String {
        "\(model.rawValue) h=\(hidden) snr=\(snrDB)dB r=\(realization) seed=\(seed) lr=\(learningRate) ep=\(epochs)"
    }

    /// The one check of a synthetic spec (`KindSchema.validate`): every field's range, then the
    /// checks across fields. Throws `SpecError` named by the JSON key.
    public func validate() throws { try Self.schema.validate(JobSpec(synthetic: self)) }
}
