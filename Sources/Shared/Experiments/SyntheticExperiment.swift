import Foundation

/// The synthetic contractive-teacher experiment (the paper's Figures 2 and 3): build the
/// teacher and data of `spec.realization`, train the student `spec.model` of size
/// `spec.hidden`, and report test R^2 against the optimal R^2.
///
/// The outcome is a pure function of the spec (no wall time in it): the same spec gives a
/// bit-identical outcome. The reported "test_r2" is the test R^2 after the epoch with the
/// lowest training loss (no test data used to choose; see docs/EXPERIMENTS.md for why not the
/// final or the best epoch); "final_test_r2" and "best_test_r2" are stored too.
public enum SyntheticExperiment {
    public static func run(_ spec: SyntheticSpec, cancellation: Cancellation? = nil,
                           progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        try spec.validate()
        let data = try SyntheticData.make(spec)
        progress(String(format: "teacher r=%d: ||W|| = %.6f, active %.3f..%.3f, realized SNR %.2f dB, optimal R^2 %.4f",
                        spec.realization, data.teacherWNorm, data.activeFractions.min() ?? 0,
                        data.activeFractions.max() ?? 0, data.realizedSNRdB, data.optimalR2))

        let shape = ModelShape(cell: spec.model == .lstm ? .lstm : .relu, hidden: spec.hidden,
                               inputs: spec.inputs, outputs: spec.outputs)
        let seed = UInt64(bitPattern: Int64(spec.seed))
        var initRNG = Xoshiro256(seed: seed, stream: "student-init", index: UInt64(spec.realization))
        let recurrent: Initializer.Recurrent = switch spec.initialization ?? .keras {
        case .keras: .orthogonal
        case .identity: .identity
        case .rotation: .rotation
        }
        let initial = Initializer.keras(shape, rng: &initRNG, recurrent: recurrent)
            .map(Float.init)
        var config = TrainingConfig(
            epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, optimizer: spec.optimizer,
            clipNorm: spec.clipNorm, shuffleSeed: Xoshiro256.deriveSeed(seed, "shuffle", UInt64(spec.realization)),
            constraint: constraintFor(spec.model), guardLRFactor: spec.guardLRFactor ?? 0.5,
            guardMaxEvents: spec.guardMaxEvents ?? 20)
        config.optimizerEpsilon = spec.optimizerEpsilon ?? 1e-7
        progress("training \(spec.summary): \(shape.parameterCount) parameters")
        let r = try Trainer.train(shape: shape, initialParams: initial, config: config, train: data.train, test: data.test,
                                  cancellation: cancellation, progress: { progress($0) })
        return outcome(r, data: data)
    }

    /// The recurrent constraint of each student: URNN orthogonal, contractive RNN clipped, others none.
    public static func constraintFor(_ model: ModelKind) -> RecurrentConstraint {
        switch model {
        case .rnn, .lstm: return .none
        case .urnn: return .orthogonal
        case .crnn: return .contractive
        }
    }

    /// The epoch whose reported numbers are used: the one with the lowest training loss (mean over
    /// its batches), first on ties; nil if no epoch completed. Uses no test data (docs/EXPERIMENTS.md).
    public static func selectedEpochIndex(trainLoss: [Double]) -> Int? {
        trainLoss.indices.min { trainLoss[$0] < trainLoss[$1] }
    }

    static func outcome(_ r: TrainingResult, data: SyntheticData) -> JobOutcome {
        let sel = selectedEpochIndex(trainLoss: r.trainLoss)
        let metrics: [String: Double] = [
            "test_r2": sel.map { r.testR2[$0] } ?? r.initialTestR2,
            "selected_epoch": Double(sel.map { $0 + 1 } ?? 0),
            "train_loss": sel.map { r.trainLoss[$0] } ?? .nan,
            "test_loss": sel.map { r.testLoss[$0] } ?? r.initialTestLoss,
            "final_test_r2": r.testR2.last ?? r.initialTestR2,
            "final_train_loss": r.trainLoss.last ?? .nan,
            "final_test_loss": r.testLoss.last ?? r.initialTestLoss,
            "best_test_r2": r.testR2.max() ?? r.initialTestR2,
            "initial_test_r2": r.initialTestR2,
            "optimal_r2": data.optimalR2,
            "guard_events": Double(r.guardEvents),
            "guard_w_clips": Double(r.contractiveClips),
            "teacher_w_norm": data.teacherWNorm,
            "teacher_active_min": data.activeFractions.min() ?? .nan,
            "teacher_active_max": data.activeFractions.max() ?? .nan,
            "realized_snr_db": data.realizedSNRdB,
            "epochs_run": Double(r.testR2.count),
            "final_learning_rate": r.finalLearningRate,
        ]
        return JobOutcome(status: r.diverged ? .diverged : .ok, metrics: metrics,
                          series: ["train_loss": r.trainLoss, "test_loss": r.testLoss, "test_r2": r.testR2],
                          events: r.events, divergedEpoch: r.divergedEpoch)
    }
}
