import Foundation

/// What a worker lends to the jobs it runs: the per-process dataset cache (every job slot shares one
/// copy of a dataset) and where running jobs checkpoint (nil: no checkpoints).
public struct JobContext: Sendable {
    public var datasets: DatasetCache
    public var checkpointDirectory: String?
    /// Set when the job should stop (CANCEL, time limit); the training loops check it per batch.
    public var cancellation: Cancellation?
    public init(datasets: DatasetCache = DatasetCache(), checkpointDirectory: String? = nil, cancellation: Cancellation? = nil) {
        self.datasets = datasets; self.checkpointDirectory = checkpointDirectory; self.cancellation = cancellation
    }
}

/// The pixel-MNIST experiment (the paper's Figure 4): train `spec.model` with `spec.hidden` units on
/// the dataset in `spec.data`, report test accuracy at the epoch with the best validation accuracy.
///
/// The outcome is a pure function of the spec and the dataset's bytes (their fingerprint is in the
/// events): the same spec gives a bit-identical outcome, also when the run was interrupted and
/// resumed from a checkpoint.
public enum PMNISTExperiment {
    public static let classes = 10

    /// Subnormals are flushed to zero for the whole job (`Subnormals`): part of this kind's
    /// arithmetic, on every worker and in both builds.
    public static func run(_ spec: PMNISTSpec, context: JobContext = JobContext(),
                           progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> JobOutcome {
        try Subnormals.flushed { try train(spec, context: context, progress: progress) }
    }

    static func train(_ spec: PMNISTSpec, context: JobContext, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        try spec.validate()
        let dataset = try context.datasets.dataset(directory: spec.data)
        let seed = UInt64(bitPattern: Int64(spec.seed))
        let splits = try PixelSplits.make(dataset, validation: spec.validation, seed: seed, permuted: spec.permuted,
                                          pool: spec.pool ?? 1, trainLimit: spec.trainLimit, testLimit: spec.testLimit)
        let shape = ModelShape(cell: spec.model == .lstm ? .lstm : .relu, hidden: spec.hidden, inputs: 1, outputs: classes)
        var initRNG = Xoshiro256(seed: seed, stream: "pmnist-init")
        let initial = Initializer.keras(shape, rng: &initRNG).map(Float.init)
        let config = ClassifierConfig(
            epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, optimizer: spec.optimizer,
            clipNorm: spec.clipNorm, shuffleSeed: Xoshiro256.deriveSeed(seed, "pmnist-shuffle"),
            constraint: SyntheticExperiment.constraintFor(spec.model), patience: spec.patience,
            guardLRFactor: spec.guardLRFactor ?? 0.5, guardMaxEvents: spec.guardMaxEvents ?? 20)

        let jobID = JobSpec(pmnist: spec).id
        let store = context.checkpointDirectory.map(CheckpointStore.init(directory:))
        let resume = store?.load(jobID: jobID, note: progress)
        progress("training \(spec.summary): \(shape.parameterCount) parameters, \(splits.train.count) train / "
                 + "\(splits.validation.count) validation / \(splits.test.count) test sequences of \(splits.train.steps) steps"
                 + (resume.map { ", resuming after epoch \($0.epoch)" } ?? ""))
        let state = try ClassifierTrainer.train(
            shape: shape, initialParams: initial, config: config, data: splits, resume: resume,
            checkpoint: { s in
                // A checkpoint that cannot be written (disk full, permissions) costs only the
                // ability to resume: say so and go on.
                do { try store?.save(s, jobID: jobID) } catch { progress("checkpoint after epoch \(s.epoch) not written: \(error)") }
            }, cancellation: context.cancellation, progress: { progress($0) })
        let outcome = outcome(state, dataset: dataset, splits: splits)
        store?.remove(jobID: jobID)
        return outcome
    }

    static func outcome(_ s: ClassifierState, dataset: ImageDataset, splits: PixelSplits) -> JobOutcome {
        let best = s.bestEpoch > 0 ? s.bestEpoch - 1 : nil
        let metrics: [Metric: Double] = [
            .testAccuracy: best.map { s.testAccuracy[$0] } ?? s.initialTestAccuracy,
            .validationAccuracy: best.map { s.validationAccuracy[$0] } ?? s.initialValidationAccuracy,
            .selectedEpoch: Double(s.bestEpoch),
            .finalTestAccuracy: s.testAccuracy.last ?? s.initialTestAccuracy,
            .finalValidationAccuracy: s.validationAccuracy.last ?? s.initialValidationAccuracy,
            .finalTrainLoss: s.trainLoss.last ?? .nan,
            .initialTestAccuracy: s.initialTestAccuracy,
            .epochsRun: Double(s.epoch),
            .stoppedEarly: s.stoppedEarly ? 1 : 0,
            .guardEvents: Double(s.guardEvents),
            .guardWClips: Double(s.contractiveClips),
            .finalLearningRate: s.learningRate,
            .trainImages: Double(splits.train.count),
            .validationImages: Double(splits.validation.count),
            .testImages: Double(splits.test.count),
        ]
        return JobOutcome(status: s.diverged ? .diverged : .ok, metrics: metrics.byName,
                          series: [Metric.trainLoss: s.trainLoss, .trainAccuracy: s.trainAccuracy,
                                   .validationLoss: s.validationLoss, .validationAccuracy: s.validationAccuracy,
                                   .testLoss: s.testLoss, .testAccuracy: s.testAccuracy].byName,
                          events: ["dataset \(dataset.fingerprint) (sha256 prefix of the four IDX files)"] + s.events,
                          divergedEpoch: s.divergedEpoch)
    }
}
