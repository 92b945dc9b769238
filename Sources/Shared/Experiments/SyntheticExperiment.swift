import Foundation

/// The synthetic contractive-teacher experiment (the paper's Figures 2 and 3): build the
/// teacher and data of `spec.realization`, train the student `spec.model` of size
/// `spec.hidden`, and report test R^2 against the optimal R^2.
///
/// The outcome is a pure function of the spec (no wall time in it): the same spec gives a
/// bit-identical outcome. The reported "test_r2" is the test R^2 after the final epoch
/// (the paper's procedure; see docs/EXPERIMENTS.md for why not the best epoch).
public enum SyntheticExperiment {
    public static func run(_ spec: SyntheticSpec, progress: @escaping @Sendable (String) -> Void) throws -> JobOutcome {
        try spec.validate()
        let data = try SyntheticData.make(spec)
        progress(String(format: "teacher r=%d: ||W|| = %.6f, active %.3f..%.3f, realized SNR %.2f dB, optimal R^2 %.4f",
                        spec.realization, data.teacherWNorm, data.activeFractions.min() ?? 0,
                        data.activeFractions.max() ?? 0, data.realizedSNRdB, data.optimalR2))

        let shape = ModelShape(cell: spec.model == .lstm ? .lstm : .relu, hidden: spec.hidden,
                               inputs: spec.inputs, outputs: spec.outputs)
        let seed = UInt64(bitPattern: Int64(spec.seed))
        var initRNG = Xoshiro256(seed: seed, stream: "student-init", index: UInt64(spec.realization))
        let initial = Initializer.keras(shape, rng: &initRNG).map(Float.init)
        let config = TrainingConfig(
            epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, optimizer: spec.optimizer,
            clipNorm: spec.clipNorm, shuffleSeed: Xoshiro256.deriveSeed(seed, "shuffle", UInt64(spec.realization)),
            constraint: constraintFor(spec.model), guardLRFactor: spec.guardLRFactor ?? 0.5,
            guardMaxEvents: spec.guardMaxEvents ?? 20)
        progress("training \(spec.summary): \(shape.parameterCount) parameters")
        let r = Trainer.train(shape: shape, initialParams: initial, config: config, train: data.train, test: data.test,
                              progress: { progress($0) })
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

    static func outcome(_ r: TrainingResult, data: SyntheticData) -> JobOutcome {
        let reported = r.testR2.last ?? r.initialTestR2
        let metrics: [String: Double] = [
            "test_r2": reported,
            "final_test_r2": reported,
            "best_test_r2": r.testR2.max() ?? r.initialTestR2,
            "initial_test_r2": r.initialTestR2,
            "optimal_r2": data.optimalR2,
            "train_loss": r.trainLoss.last ?? .nan,
            "test_loss": r.testLoss.last ?? r.initialTestLoss,
            "guard_events": Double(r.guardEvents),
            "teacher_w_norm": data.teacherWNorm,
            "teacher_active_min": data.activeFractions.min() ?? .nan,
            "teacher_active_max": data.activeFractions.max() ?? .nan,
            "realized_snr_db": data.realizedSNRdB,
            "epochs_run": Double(r.testR2.count),
            "final_learning_rate": r.finalLearningRate,
            "guard_w_clips": Double(r.contractiveClips),
        ]
        return JobOutcome(status: r.diverged ? .diverged : .ok, metrics: metrics,
                          series: ["train_loss": r.trainLoss, "test_loss": r.testLoss, "test_r2": r.testR2],
                          events: r.events, divergedEpoch: r.divergedEpoch)
    }
}
