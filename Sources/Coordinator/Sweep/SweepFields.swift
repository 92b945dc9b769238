import Foundation
import Shared

/// The type a sweep field's values must have.
enum FieldType: Sendable, Equatable {
    case int
    case double
    /// A number, or `none`/`null` for "not set" (e.g. `clip: none` = no clipping).
    case optionalDouble
    case bool
    /// One of the listed words.
    case choice([String])

    var description: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a number"
        case .optionalDouble: return "a number or none"
        case .bool: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        }
    }
}

/// One field a sweep file may set for a job kind.
struct FieldInfo: Sendable {
    /// Key in the sweep file.
    let key: String
    let type: FieldType
    /// `SpecError.field` names (from `JobSpec.validate()`) that mean this key.
    let specNames: [String]
    /// Keys whose line to point at when this field was not written (it kept its default)
    /// but its default clashes with them, e.g. `train` with `sequences`.
    let related: [String]
    /// The spec's stored property this key sets (a test checks every `SyntheticSpec` property has a key).
    let property: String
    /// A per-value check beyond `validate()`; returns a message when the value is bad.
    let check: @Sendable (FieldValue) -> String?

    init(_ key: String, _ type: FieldType, property: String? = nil, spec: [String]? = nil, related: [String] = [],
         check: @escaping @Sendable (FieldValue) -> String? = { _ in nil }) {
        self.key = key; self.type = type; self.property = property ?? key
        self.specNames = (spec ?? [key]) + [property ?? key]
        self.related = related; self.check = check
    }
}

/// What a sweep file may say for one job kind, and how a set of field values becomes a `JobSpec`.
struct KindSchema: Sendable {
    let kind: JobKind
    let fields: [FieldInfo]
    /// Keys that have no default and must appear in `grid` or `fixed`.
    let required: [String]
    /// Builds the job from every field the file set (keys are known, values typed).
    let make: @Sendable ([String: FieldValue]) -> JobSpec

    func field(_ key: String) -> FieldInfo? { fields.first { $0.key == key } }

    static func forKind(_ kind: JobKind) -> KindSchema {
        switch kind {
        case .synthetic: return synthetic
        case .theorem1, .theorem2, .theorem3: return theory(kind)
        case .noop: return noop
        }
    }

    // MARK: synthetic

    /// Every `SyntheticSpec` field, by its sweep-file key. Defaults are `SyntheticSpec`'s (the paper's).
    static let synthetic = KindSchema(
        kind: .synthetic,
        fields: [
            FieldInfo("model", .choice(ModelKind.allCases.map(\.rawValue))),
            FieldInfo("hidden", .int),
            FieldInfo("snr", .double, property: "snrDB"),
            FieldInfo("realization", .int),
            FieldInfo("seed", .int),
            FieldInfo("epochs", .int),
            FieldInfo("lr", .double, property: "learningRate"),
            FieldInfo("optimizer", .choice(OptimizerKind.allCases.map(\.rawValue))),
            FieldInfo("batch", .int, property: "batchSize"),
            FieldInfo("clip", .optionalDouble, property: "clipNorm"),
            FieldInfo("sequences", .int, spec: ["sequences"], related: ["train"]),
            FieldInfo("steps", .int),
            FieldInfo("train", .int, property: "trainSequences", spec: ["train-sequences", "train"], related: ["sequences"]),
            FieldInfo("inputs", .int, spec: ["dims", "inputs"]),
            FieldInfo("teacher_hidden", .int, property: "teacherHidden", spec: ["dims", "teacher-hidden", "teacherHidden"]),
            FieldInfo("outputs", .int, spec: ["dims", "outputs"]),
            FieldInfo("eps", .double),
            FieldInfo("normalize_a", .bool, property: "normalizeA", spec: ["normalize-a", "normalizeA"]),
            FieldInfo("noise_rule", .choice(NoiseRule.allCases.map(\.rawValue)), property: "noiseRule", spec: ["noise-rule", "noiseRule"]),
            FieldInfo("calibration_sequences", .int, property: "calibrationSequences", spec: ["calibration-sequences"]),
            FieldInfo("calibration_rounds", .int, property: "calibrationRounds", spec: ["calibration-rounds"]),
            FieldInfo("guard_lr_factor", .double, property: "guardLRFactor", spec: ["guard-lr-factor"]),
            FieldInfo("guard_max_events", .int, property: "guardMaxEvents", spec: ["guard-max-events"]),
            FieldInfo("init", .choice(StudentInit.allCases.map(\.rawValue)), property: "initialization", spec: ["init"]),
            FieldInfo("optimizer_eps", .double, property: "optimizerEpsilon", spec: ["optimizer-epsilon"]),
        ],
        required: ["model", "hidden"],
        make: { values in
            var s = SyntheticSpec(model: .rnn, hidden: 1)
            for (key, v) in values {
                switch key {
                case "model": s.model = ModelKind(rawValue: v.stringValue)!
                case "hidden": s.hidden = v.intValue
                case "snr": s.snrDB = v.doubleValue
                case "realization": s.realization = v.intValue
                case "seed": s.seed = v.intValue
                case "epochs": s.epochs = v.intValue
                case "lr": s.learningRate = v.doubleValue
                case "optimizer": s.optimizer = OptimizerKind(rawValue: v.stringValue)!
                case "batch": s.batchSize = v.intValue
                case "clip": s.clipNorm = v.optionalDoubleValue
                case "sequences": s.sequences = v.intValue
                case "steps": s.steps = v.intValue
                case "train": s.trainSequences = v.intValue
                case "inputs": s.inputs = v.intValue
                case "teacher_hidden": s.teacherHidden = v.intValue
                case "outputs": s.outputs = v.intValue
                case "eps": s.eps = v.doubleValue
                case "normalize_a": s.normalizeA = v.boolValue
                case "noise_rule": s.noiseRule = NoiseRule(rawValue: v.stringValue)!
                case "calibration_sequences": s.calibrationSequences = v.intValue
                case "calibration_rounds": s.calibrationRounds = v.intValue
                case "guard_lr_factor": s.guardLRFactor = v.doubleValue
                case "guard_max_events": s.guardMaxEvents = v.intValue
                // The defaults written out stay nil, so `init: keras` gives the same job ids as no key.
                case "init": s.initialization = v.stringValue == StudentInit.keras.rawValue ? nil : StudentInit(rawValue: v.stringValue)!
                case "optimizer_eps": s.optimizerEpsilon = v.doubleValue == 1e-7 ? nil : v.doubleValue
                default: preconditionFailure("synthetic schema lists \(key) but does not apply it")
                }
            }
            return JobSpec(synthetic: s)
        }
    )

    // MARK: theorems

    /// Theorem jobs: only `n` and `seed` (other `TheorySpec` fields keep their defaults).
    static func theory(_ kind: JobKind) -> KindSchema {
        KindSchema(
            kind: kind,
            fields: [FieldInfo("n", .int), FieldInfo("seed", .int)],
            required: ["n"],
            make: { values in
                let n = values["n"]!.intValue
                let seed = values["seed"]?.intValue ?? 0
                return JobSpec(kind: kind, theory: TheorySpec(n: n, seed: seed))
            }
        )
    }

    // MARK: noop

    /// Benchmark jobs. `count: N` (fixed only) is shorthand for the axis `token: 0..<N`.
    static let noop = KindSchema(
        kind: .noop,
        fields: [
            FieldInfo("token", .int),
            FieldInfo("count", .int, check: { v in
                v.intValue < 1 ? "must be at least 1, got \(v)"
                    : v.intValue > SweepFile.maxJobs ? "must be at most \(SweepFile.maxJobs), got \(v)" : nil
            }),
            FieldInfo("sleep_ms", .int, spec: ["sleepMilliseconds"], check: { v in v.intValue >= 0 ? nil : "must be >= 0, got \(v)" }),
            FieldInfo("fail", .bool),
        ],
        required: ["token"],
        make: { values in
            let sleep = values["sleep_ms"]?.intValue
            let fail = values["fail"]?.boolValue == true ? true : nil
            return JobSpec(noop: NoopSpec(token: values["token"]!.intValue, sleepMilliseconds: sleep == 0 ? nil : sleep, fail: fail))
        }
    )
}
