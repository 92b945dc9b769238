/// The fields of a synthetic job, declared once (see `FieldInfo`). Ranges include the upper
/// limits no experiment needs and that would hold a worker for days or exhaust its memory.
extension SyntheticSpec {
    public static let fields: [SpecField<SyntheticSpec>] = [
        .choice(FieldInfo("model", flag: "model", .choice(ModelKind.allCases.map(\.rawValue)), default: "required",
                          help: "student family"), \.model),
        .int(FieldInfo("hidden", flag: "hidden", .int, range: .integers(1, 4096), default: "required",
                       help: "student hidden units"), \.hidden),
        .double(FieldInfo("snr", json: "snrDB", flag: "snr", .double, range: .closed(-300, 300),
                          default: "20", help: "output SNR in dB"), \.snrDB),
        .int(FieldInfo("realization", flag: "realization", .int, range: .integers(0, nil), default: "0",
                       help: "teacher and data draw"), \.realization),
        .int(FieldInfo("seed", flag: "seed", .int, default: "0", help: "student initialisation and batch order"), \.seed),
        .int(FieldInfo("epochs", flag: "epochs", .int, range: .integers(1, 100_000), default: "100", help: "training epochs"), \.epochs),
        .double(FieldInfo("lr", json: "learningRate", flag: "lr", .double, range: .greaterThan(0),
                          default: "0.01", help: "learning rate"), \.learningRate),
        .choice(FieldInfo("optimizer", flag: "optimizer", .choice(OptimizerKind.allCases.map(\.rawValue)), default: "adam",
                          help: "optimizer"), \.optimizer),
        .int(FieldInfo("batch", json: "batchSize", flag: "batch", .int, range: .integers(1, 1_000_000), default: "10",
                       help: "whole sequences per step"), \.batchSize),
        .double(FieldInfo("clip", json: "clipNorm", flag: "clip", .optionalDouble, range: .greaterThan(0),
                          default: "1", help: "global gradient-norm clipping threshold (`none`, or --no-clip: no clipping)"), \.clipNorm),
        .int(FieldInfo("sequences", flag: "sequences", .int, range: .integers(2, nil), default: "1000",
                       help: "sequences generated (train + test)", related: ["train"]), \.sequences),
        .int(FieldInfo("train", json: "trainSequences", flag: "train-sequences", .int, range: .integers(1, nil), default: "700",
                       help: "training sequences, fewer than `sequences`; the rest are test", related: ["sequences"]), \.trainSequences),
        .int(FieldInfo("steps", flag: "steps", .int, range: .integers(1, nil), default: "1000", help: "time steps per sequence"), \.steps),
        .int(FieldInfo("inputs", flag: "inputs", .int, range: .integers(1, 4096), default: "2", help: "input dimension"), \.inputs),
        .int(FieldInfo("teacher_hidden", json: "teacherHidden", flag: "teacher-hidden", .int, range: .integers(1, 4096), default: "4",
                       help: "teacher state size"), \.teacherHidden),
        .int(FieldInfo("outputs", flag: "outputs", .int, range: .integers(1, 4096), default: "2", help: "output dimension"), \.outputs),
        .double(FieldInfo("eps", flag: "eps", .double, range: .open(0, 1), default: "0.01",
                          help: "teacher W = I - eps A^T A / ||A||^2"), \.eps),
        .bool(FieldInfo("normalize_a", json: "normalizeA", flag: "no-normalize-a", .bool, default: "true",
                        help: "divide by ||A||^2 (false: the authors' script)"), \.normalizeA),
        .choice(FieldInfo("noise_rule", json: "noiseRule", flag: "noise-rule", .choice(NoiseRule.allCases.map(\.rawValue)),
                          default: "variance", help: "how the noise variance follows from the SNR: per output variance (the poster) or mean square (the authors' script)"), \.noiseRule),
        .int(FieldInfo("calibration_sequences", json: "calibrationSequences", flag: "calibration-sequences", .int,
                       range: .integers(1, 100_000), default: "100", help: "sequences used to calibrate the teacher's biases"), \.calibrationSequences),
        .int(FieldInfo("calibration_rounds", json: "calibrationRounds", flag: "calibration-rounds", .int,
                       range: .integers(0, 100_000), default: "100", help: "bias-calibration rounds"), \.calibrationRounds),
        .double(FieldInfo("guard_lr_factor", json: "guardLRFactor", flag: "guard-lr-factor", .double,
                          range: .open(0, 1), default: "0.5",
                          help: "divergence guard: learning-rate factor per intervention"), \.guardLRFactor),
        .int(FieldInfo("guard_max_events", json: "guardMaxEvents", flag: "guard-max-events", .int, range: .integers(0, 1_000_000),
                       default: "20", help: "divergence guard: interventions before a run counts as diverged"), \.guardMaxEvents),
        // The default written out stays nil, so `init: keras` gives the same job id as no key.
        SpecField(FieldInfo("init", json: "initialization", flag: "init", .choice(StudentInit.allCases.map(\.rawValue)), default: "keras",
                            help: "student initialisation: Keras's (Glorot input/readout, orthogonal W), the same with det W = +1, or W = I (IRNN); the last two for ReLU students only",
                            related: ["model"]),
                  get: { .string(($0.initialization ?? .keras).rawValue) },
                  set: { let i = StudentInit(rawValue: $1.stringValue)!; $0.initialization = i == .keras ? nil : i }),
        SpecField(FieldInfo("optimizer_eps", json: "optimizerEpsilon", flag: "optimizer-eps", .double,
                            range: .openClosed(0, 1), default: "1e-7",
                            help: "epsilon in Adam's and RMSProp's denominators (Keras's 1e-7; PyTorch uses 1e-8)"),
                  get: { $0.optimizerEpsilon.map(FieldValue.double) ?? .none },
                  set: { $0.optimizerEpsilon = $1 == .none || $1.doubleValue == 1e-7 ? nil : $1.doubleValue }),
    ]

    public static let schema = KindSchema(
        kind: .synthetic, payload: "synthetic", fields: fields, required: ["model", "hidden"],
        blank: SyntheticSpec(model: .rnn, hidden: 1), extract: \.synthetic, wrap: { JobSpec(synthetic: $0) },
        check: { try $0.checkAcrossFields() },
        run: { spec, context, progress in try SyntheticExperiment.run(spec, cancellation: context.cancellation, progress: progress) },
        summary: \.summary)

    /// The checks that involve more than one field (each field's own range is in `fields`).
    func checkAcrossFields() throws {
        guard Double(sequences) * Double(steps) * Double(inputs + outputs) <= 5e8 else {
            throw SpecError(field: "sequences", message: "data of \(sequences) x \(steps) steps x \(inputs + outputs) values is too large (limit 5e8)")
        }
        guard trainSequences < sequences else {
            throw SpecError(field: "trainSequences", message: "must be in 1..<sequences (\(sequences)), got \(trainSequences)")
        }
        if let i = initialization, i != .keras, model == .lstm {
            throw SpecError(field: "initialization", message: "\(i.rawValue) is for ReLU students (rnn, urnn, crnn), not lstm")
        }
    }
}
