/// The name of an outcome metric: one spelling of `"test_r2"` for the experiments that write it,
/// the reports that read it and the sweep files that choose it (`metric:` of a variant).
/// Per-epoch series use the same names. `JobOutcome.metrics` and `series` stay keyed by the raw
/// name, so stored outcomes do not change.
public struct Metric: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Synthetic and pmnist jobs (docs/EXPERIMENTS.md, docs/PMNIST.md).
    /// Test R^2 at the selected epoch (the lowest training loss).
    public static let testR2 = Metric(rawValue: "test_r2")
    public static let finalTestR2 = Metric(rawValue: "final_test_r2")
    public static let bestTestR2 = Metric(rawValue: "best_test_r2")
    public static let initialTestR2 = Metric(rawValue: "initial_test_r2")
    /// R^2 of the noiseless teacher output against the noisy targets.
    public static let optimalR2 = Metric(rawValue: "optimal_r2")
    public static let selectedEpoch = Metric(rawValue: "selected_epoch")
    public static let trainLoss = Metric(rawValue: "train_loss")
    public static let testLoss = Metric(rawValue: "test_loss")
    public static let finalTrainLoss = Metric(rawValue: "final_train_loss")
    public static let finalTestLoss = Metric(rawValue: "final_test_loss")
    public static let guardEvents = Metric(rawValue: "guard_events")
    public static let guardWClips = Metric(rawValue: "guard_w_clips")
    public static let teacherWNorm = Metric(rawValue: "teacher_w_norm")
    public static let teacherActiveMin = Metric(rawValue: "teacher_active_min")
    public static let teacherActiveMax = Metric(rawValue: "teacher_active_max")
    public static let realizedSNRdB = Metric(rawValue: "realized_snr_db")
    public static let epochsRun = Metric(rawValue: "epochs_run")
    public static let finalLearningRate = Metric(rawValue: "final_learning_rate")
    public static let testAccuracy = Metric(rawValue: "test_accuracy")
    public static let trainAccuracy = Metric(rawValue: "train_accuracy")
    public static let validationLoss = Metric(rawValue: "validation_loss")
    public static let validationAccuracy = Metric(rawValue: "validation_accuracy")
    public static let finalTestAccuracy = Metric(rawValue: "final_test_accuracy")
    public static let finalValidationAccuracy = Metric(rawValue: "final_validation_accuracy")
    public static let initialTestAccuracy = Metric(rawValue: "initial_test_accuracy")
    public static let stoppedEarly = Metric(rawValue: "stopped_early")
    public static let trainImages = Metric(rawValue: "train_images")
    public static let validationImages = Metric(rawValue: "validation_images")
    public static let testImages = Metric(rawValue: "test_images")
    // Theorem 1 (docs/THEORY.md).
    public static let n = Metric(rawValue: "n")
    public static let steps = Metric(rawValue: "steps")
    public static let inputBound = Metric(rawValue: "input_bound")
    public static let similarityRelError = Metric(rawValue: "similarity_rel_error")
    public static let similarityCondition = Metric(rawValue: "similarity_condition")
    public static let wNorm = Metric(rawValue: "w_norm")
    public static let certified = Metric(rawValue: "certified")
    public static let refused = Metric(rawValue: "refused")
    public static let stateBound = Metric(rawValue: "state_bound")
    public static let orthogonalityError = Metric(rawValue: "orthogonality_error")
    public static let maxOutputRelError = Metric(rawValue: "max_output_rel_error")
    public static let maxExtraState = Metric(rawValue: "max_extra_state")
    public static let biasMargin = Metric(rawValue: "bias_margin")
    public static let maxInputNorm = Metric(rawValue: "max_input_norm")
    public static let breakInputScale = Metric(rawValue: "break_input_scale")
    public static let breakOutputRelError = Metric(rawValue: "break_output_rel_error")

    // Theorems 2 and 3: per URNN size m, and what the sweep shows.
    /// Best test NMSE over restarts at URNN size m; `teacher` prefixes the theorem3 ReLU twin's ("relu_teacher_").
    public static func bestError(m: Int, teacher: String = "") -> Metric { Metric(rawValue: "\(teacher)best_error_m=\(m)") }
    /// The same over the random starts only (without the construction's warm start).
    public static func bestRandomError(m: Int, teacher: String = "") -> Metric { Metric(rawValue: "\(teacher)best_random_error_m=\(m)") }
    /// The theorem3 ReLU twin's prefix of `bestError` and `bestRandomError`, and of its series.
    public static let reluTwin = "relu_teacher_"
    public static let rho = Metric(rawValue: "rho")
    public static let bestErrorAt2n = Metric(rawValue: "best_error_at_2n")
    public static let minErrorBelow2n = Metric(rawValue: "min_error_below_2n")
    public static let bestRandomErrorAt2n = Metric(rawValue: "best_random_error_at_2n")
    public static let sigmoidFloor = Metric(rawValue: "sigmoid_floor")
    public static let reluErrorAt2n = Metric(rawValue: "relu_error_at_2n")
    public static let sigmoidLastOverFirst = Metric(rawValue: "sigmoid_last_over_first")

    /// A noop job's token, echoed.
    public static let token = Metric(rawValue: "token")

    /// The metrics a variant of a sweep of `kind` may report (`metric:` in docs/SWEEPS.md, "Variants").
    public static func variantChoices(_ kind: JobKind) -> [Metric] {
        kind == .synthetic ? [.testR2, .finalTestR2, .bestTestR2] : []
    }
}

extension JobOutcome {
    /// The metric's value, nil if the outcome has none.
    public subscript(_ metric: Metric) -> Double? {
        get { metrics[metric.rawValue] }
        set { metrics[metric.rawValue] = newValue }
    }
}

extension Dictionary where Key == Metric {
    /// Keyed by name, as `JobOutcome.metrics` and `series` store them.
    public var byName: [String: Value] { Dictionary<String, Value>(uniqueKeysWithValues: map { ($0.key.rawValue, $0.value) }) }
}
