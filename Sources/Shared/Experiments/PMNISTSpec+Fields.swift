/// The fields of a pmnist job, declared once (see `FieldInfo`). No command sets them one by one:
/// `urnn-worker exec --spec` takes the whole spec.
extension PMNISTSpec {
    public static let fields: [SpecField<PMNISTSpec>] = [
        .choice(FieldInfo("model", .choice(ModelKind.allCases.map(\.rawValue)), default: "required", help: "classifier family"), \.model),
        .int(FieldInfo("hidden", .int, range: .integers(1, 4096), default: "required", help: "hidden units"), \.hidden),
        .text(FieldInfo("data", .text, range: .text(maxBytes: 4096), default: "required",
                        help: "dataset directory with the four IDX files; relative to the worker's working directory"), \.data),
        .double(FieldInfo("lr", json: "learningRate", .double, range: .open(0, 10), default: "0.001",
                          help: "learning rate"), \.learningRate),
        .choice(FieldInfo("optimizer", .choice(OptimizerKind.allCases.map(\.rawValue)), default: "rmsprop", help: "optimizer"), \.optimizer),
        .int(FieldInfo("batch", json: "batchSize", .int, range: .integers(1, 4096), default: "64", help: "images per step"), \.batchSize),
        .double(FieldInfo("clip", json: "clipNorm", .optionalDouble, range: .greaterThan(0), default: "none",
                          help: "gradient-norm clipping"), \.clipNorm),
        .int(FieldInfo("epochs", .int, range: .integers(1, 10_000), default: "100", help: "at most this many epochs"), \.epochs),
        .int(FieldInfo("patience", .int, range: .integers(1, 10_000), default: "10",
                       help: "early stopping: epochs without a better validation accuracy"), \.patience),
        .int(FieldInfo("seed", .int, default: "0", help: "initialisation, validation split, batch order"), \.seed),
        .bool(FieldInfo("permuted", .bool, default: "true", help: "fixed 92916 pixel permutation, or reading order"), \.permuted),
        .int(FieldInfo("validation", .int, range: .integers(1, nil), default: "5,000 (>= 50,000 training images), else 10%",
                       help: "validation images taken from the training set"), \.validation),
        .int(FieldInfo("pool", .int, range: .oneOf([1, 2, 4, 7, 14, 28]), default: "1",
                       help: "average-pool the image first, (28/pool)^2 steps: tests and smoke runs only"), \.pool),
        .int(FieldInfo("train_limit", json: "trainLimit", .int, range: .integers(1, nil), default: "all",
                       help: "train on the first N remaining training images"), \.trainLimit),
        .int(FieldInfo("test_limit", json: "testLimit", .int, range: .integers(1, nil), default: "all",
                       help: "test on the first N test images"), \.testLimit),
        .double(FieldInfo("guard_lr_factor", json: "guardLRFactor", .double, range: .open(0, 1),
                          default: "0.5", help: "divergence guard: learning-rate factor per intervention"), \.guardLRFactor),
        .int(FieldInfo("guard_max_events", json: "guardMaxEvents", .int, range: .integers(0, nil), default: "20",
                       help: "divergence guard: interventions before a run counts as diverged"), \.guardMaxEvents),
    ]

    public static let schema = KindSchema(
        kind: .pmnist, payload: "pmnist", fields: fields, required: ["model", "hidden", "data"],
        blank: PMNISTSpec(model: .rnn, hidden: 1, data: ""), extract: \.pmnist, wrap: { JobSpec(pmnist: $0) },
        check: { try $0.checkAcrossFields() },
        run: { spec, context, progress in try PMNISTExperiment.run(spec, context: context, progress: progress) },
        summary: \.summary)

    /// Memory of one job's kernel (the LSTM keeps its gates for every step): bounded.
    func checkAcrossFields() throws {
        let nPad = (hidden + 7) / 8 * 8
        let floats = Double(steps + 1) * Double(batchSize) * Double(nPad) * (model == .lstm ? 7 : 1)
        guard floats * 4 <= 8e9 else {
            throw SpecError(field: "hidden", message: "hidden \(hidden) x batch \(batchSize) x \(steps) steps needs \(Int(floats * 4 / 1e9)) GB of kernel memory (limit 8)")
        }
    }
}
