/// The scalar fields of a theorem job, declared once (see `FieldInfo`). Sweep files set `n` and
/// `seed`; the others are options of `urnn-worker theory` and keys of the JSON spec. The list
/// fields (`mValues`, `model`, `student`) are checked in `checkAcrossFields`.
extension TheorySpec {
    public static let fields: [SpecField<TheorySpec>] = [
        .int(FieldInfo("n", flag: "n", .int, range: .integers(1, 256), default: "required",
                       help: "state size n of the RNN under study"), \.n),
        .int(FieldInfo("seed", flag: "seed", .int, default: "0", help: "seed; every random draw derives from it"), \.seed),
        .double(FieldInfo("w_norm", json: "wNorm", flag: "w-norm", .double, range: .atLeast(0),
                          default: "0.9", help: "||W||_2 of the random RNN (theorem1)", inSweeps: false), \.wNorm),
        .double(FieldInfo("input_bound", json: "inputBound", flag: "input-bound", .double, range: .atLeast(0),
                          default: "the model's own, else 1", help: "input bound M (theorem1)", inSweeps: false), \.inputBound),
        .int(FieldInfo("inputs", flag: "inputs", .int, range: .integers(1, nil), default: "2",
                       help: "inputs of the random RNN (theorem1)", inSweeps: false), \.inputs),
        .int(FieldInfo("outputs", flag: "outputs", .int, range: .integers(1, nil), default: "2",
                       help: "outputs of the random RNN (theorem1)", inSweeps: false), \.outputs),
        .int(FieldInfo("steps", flag: "steps", .int, range: .integers(1, nil), default: "10000",
                       help: "steps of the certificate run (theorem1)", inSweeps: false), \.steps),
        .int(FieldInfo("restarts", flag: "restarts", .int, range: .integers(0, nil), default: "4",
                       help: "random restarts per m (theorems 2, 3)", inSweeps: false), \.restarts),
        .int(FieldInfo("iterations", flag: "iterations", .int, range: .integers(0, nil), default: "4000",
                       help: "Adam iterations per restart (theorems 2, 3)", inSweeps: false), \.iterations),
        .int(FieldInfo("sequences", flag: "sequences", .int, range: .integers(1, nil), default: "64",
                       help: "training (and test) sequences (theorems 2, 3)", inSweeps: false), \.sequences),
        .int(FieldInfo("length", flag: "length", .int, range: .integers(1, nil), default: "16",
                       help: "sequence length (theorems 2, 3)", inSweeps: false), \.length),
        .double(FieldInfo("rho", flag: "rho", .double, range: .closedOpen(0, 1), default: "0.5",
                          help: "teacher decay rho, W = rho I (theorems 2, 3)", inSweeps: false), \.rho),
        .double(FieldInfo("gain", flag: "gain", .double, range: .greaterThan(0), default: "4",
                          help: "input gain of the theorem3 teachers, F = gain I", inSweeps: false), \.gain),
    ]

    /// Theorem kinds share the fields; what runs is the kind's theorem.
    public static func schema(_ kind: JobKind) -> KindSchema {
        KindSchema(
            kind: kind, payload: "theory", fields: fields, required: ["n"],
            blank: TheorySpec(n: 1), extract: \.theory, wrap: { JobSpec(kind: kind, theory: $0) },
            check: { try $0.checkAcrossFields(kind: kind) },
            run: { spec, _, progress in
                switch kind {
                case .theorem1: return try Theorem1.run(spec: spec, progress: progress).outcome
                case .theorem2: return try Theorem2.run(spec: spec, progress: progress).outcome
                case .theorem3: return try Theorem3.run(spec: spec, progress: progress).outcome
                default: preconditionFailure("\(kind.rawValue) is not a theorem kind")
                }
            },
            summary: { "\(kind.rawValue) " + $0.summary })
    }

    func checkAcrossFields(kind: JobKind) throws {
        if let m = mValues {
            guard !m.isEmpty, m.allSatisfy({ $0 >= 1 && $0 <= 512 }) else {
                throw SpecError(field: "mValues", message: "must be a non-empty list of sizes in 1...512, got \(m)")
            }
        }
        if let model {
            guard kind == .theorem1 else { throw SpecError(field: "model", message: "only theorem1 takes an explicit model") }
            do { try model.check() } catch { throw SpecError(field: "model", message: error.description) }
            guard wNorm == nil, inputs == nil, outputs == nil else {
                throw SpecError(field: "model", message: "wNorm, inputs and outputs describe a random model; leave them unset with an explicit model")
            }
            guard model.n == n else { throw SpecError(field: "n", message: "is \(n) but the model has \(model.n) states") }
        }
        if kind == .theorem3, let s = student, s == .identity {
            throw SpecError(field: "student", message: "must be relu or sigmoid")
        }
    }
}
