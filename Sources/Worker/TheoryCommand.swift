import ArgumentParser
import Foundation
import Shared

/// `urnn-worker theory theorem1 --n 4 --seed 1 [--model FILE] [--export FILE]`, `theory theorem2 ...`,
/// `theory theorem3 ...`: run one theorem demonstration standalone (docs/THEORY.md).
struct TheoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theory", abstract: "Run one theorem demonstration standalone.",
        subcommands: [Theorem1Command.self, Theorem2Command.self, Theorem3Command.self, TheoryFiguresCommand.self])
}

/// The flags and help of the theorem jobs' fields come from their declaration (`TheorySpec.fields`),
/// and their errors name the flag, as `urnn-worker run`'s do.
enum TheoryFlags {
    static let schema = TheorySpec.schema(.theorem1)
    static func name(_ key: String) -> NameSpecification { .customLong(schema.field(key)!.flag!) }
    /// `codeDefault`: the option has a default value of its own, which the parser prints.
    static func help(_ key: String, codeDefault: Bool = false) -> ArgumentHelp {
        let f = schema.field(key)!
        return ArgumentHelp(f.help + (f.defaultText == "required" || codeDefault ? "" : " (default: \(f.defaultText))"))
    }
    /// `spec.validate(kind:)`, its error naming the flag.
    static func validate(_ spec: TheorySpec, kind: JobKind) throws {
        do { try spec.validate(kind: kind) } catch let e as SpecError { throw ValidationError(schema.describe(e, as: .flag)) }
    }
}

/// Options every theorem command shares.
struct TheoryOptions: ParsableArguments {
    @Option(name: TheoryFlags.name("n"), parsing: .unconditional, help: TheoryFlags.help("n")) var n: Int = 2
    @Option(name: TheoryFlags.name("seed"), parsing: .unconditional, help: TheoryFlags.help("seed", codeDefault: true)) var seed: Int = 0
    @Flag(help: "Print the JobOutcome as JSON instead of the human-readable report.") var json = false
    @Flag(help: "Print progress lines to stderr.") var verbose = false

    func progress() -> @Sendable (String) -> Void {
        let on = verbose
        return { line in if on { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
    }

    func emit(_ outcome: JobOutcome, text: () -> String) throws {
        print(json ? try JSON.string(outcome, pretty: true) : text())
    }
}

/// Options of the fitting demonstrations (Theorems 2 and 3).
struct FitOptions: ParsableArguments {
    @Option(help: "Comma-separated URNN sizes m to fit (default: theorem2 n...2n, theorem3 2,4,8,16,32).") var m: String?
    @Option(name: TheoryFlags.name("restarts"), parsing: .unconditional, help: TheoryFlags.help("restarts")) var restarts: Int?
    @Option(name: TheoryFlags.name("iterations"), parsing: .unconditional, help: TheoryFlags.help("iterations")) var iterations: Int?
    @Option(name: TheoryFlags.name("sequences"), parsing: .unconditional, help: TheoryFlags.help("sequences")) var sequences: Int?
    @Option(name: TheoryFlags.name("length"), parsing: .unconditional, help: TheoryFlags.help("length")) var length: Int?
    @Option(name: TheoryFlags.name("rho"), parsing: .unconditional, help: TheoryFlags.help("rho")) var rho: Double?

    func apply(to spec: inout TheorySpec) throws {
        if let m {
            let values = m.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.allSatisfy({ $0 != nil }) else { throw ValidationError("--m must be a comma-separated list of integers, got \(m)") }
            spec.mValues = values.map { $0! }
        }
        spec.restarts = restarts; spec.iterations = iterations; spec.sequences = sequences
        spec.length = length; spec.rho = rho
    }
}

func sweepTable(_ s: SizeSweep, n: Int, title: String) -> String {
    var lines = [title, "| m | best NMSE (all starts) | best NMSE (random starts) |", "|---:|---:|---:|"]
    for (i, m) in s.m.enumerated() {
        let mark = m == 2 * n ? " (= 2n)" : ""
        lines.append("| \(m)\(mark) | \(s.bestError[i].formatted6) | \(s.bestRandomError[i].formatted6) |")
    }
    return lines.joined(separator: "\n")
}

struct Theorem1Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorem1", abstract: "Build the 2n-state URNN of a contractive ReLU RNN and certify it.")
    @OptionGroup var common: TheoryOptions
    @Option(help: "RNN model file (JSON, docs/THEORY.md); default: a random RNN drawn from --seed.") var model: String?
    @Option(help: "Write the constructed URNN to this file (same JSON format).") var export: String?
    @Option(help: "Write the source RNN to this file (useful with a random model).") var saveRnn: String?
    @Option(name: TheoryFlags.name("w_norm"), parsing: .unconditional, help: TheoryFlags.help("w_norm")) var wNorm: Double?
    @Option(name: TheoryFlags.name("input_bound"), parsing: .unconditional, help: TheoryFlags.help("input_bound")) var inputBound: Double?
    @Option(name: TheoryFlags.name("inputs"), parsing: .unconditional, help: TheoryFlags.help("inputs")) var inputs: Int?
    @Option(name: TheoryFlags.name("outputs"), parsing: .unconditional, help: TheoryFlags.help("outputs")) var outputs: Int?
    @Option(name: TheoryFlags.name("steps"), parsing: .unconditional, help: TheoryFlags.help("steps")) var steps: Int?

    func run() throws {
        var spec = TheorySpec(n: common.n, seed: common.seed)
        if let path = model {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw ValidationError("cannot read \(path): \(error.localizedDescription)") }
            let m: RNNModel
            do { m = try RNNModel.load(json: data) } catch { throw ValidationError("\(path): \(error)") }
            spec.model = m; spec.n = m.n
        }
        spec.wNorm = wNorm; spec.inputBound = inputBound; spec.inputs = inputs; spec.outputs = outputs; spec.steps = steps
        try TheoryFlags.validate(spec, kind: .theorem1)
        let r = try Theorem1.run(spec: spec, progress: common.progress())
        if let path = saveRnn { try r.rnn.jsonData().write(to: URL(fileURLWithPath: path)) }
        if let path = export, let d = r.dilation { try d.urnn.jsonData().write(to: URL(fileURLWithPath: path)) }
        try common.emit(r.outcome) {
            var lines: [String] = []
            if let c = r.certificate { lines.append(c.text) } else if let e = r.refusal { lines.append("Theorem 1: REFUSED: \(e)") }
            if let b = r.breaking {
                lines.append("  outside the bound: with inputs up to \(b.scale.formatted6) M the extra states leave 0 and the relative output error is \(b.relError.formatted6)")
            }
            lines.append("Similarity (identity activation, cond(T) = \(r.similarity.conditionT.formatted6)): max relative output error \(r.similarity.maxOutputRelError.formatted6)")
            if let path = export, r.dilation != nil { lines.append("URNN written to \(path)") }
            return lines.joined(separator: "\n")
        }
        if r.refusal != nil || r.certificate?.certified == false { throw ExitCode(2) }
    }
}

struct Theorem2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorem2", abstract: "Fit URNNs with m = n...2n states to W = rho I: 2n is needed.")
    @OptionGroup var common: TheoryOptions
    @OptionGroup var fit: FitOptions

    func run() throws {
        var spec = TheorySpec(n: common.n, seed: common.seed)
        try fit.apply(to: &spec)
        try TheoryFlags.validate(spec, kind: .theorem2)
        let r = try Theorem2.run(spec: spec, progress: common.progress())
        try common.emit(r.outcome) {
            sweepTable(r.sweep, n: spec.n, title: "Theorem 2: ReLU teacher W = \(spec.resolvedRho) I, n = \(spec.n); test NMSE of URNN fits")
        }
    }
}

struct Theorem3Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorem3", abstract: "Fit URNNs of growing size to a sigmoid RNN and to its ReLU twin.")
    @OptionGroup var common: TheoryOptions
    @OptionGroup var fit: FitOptions
    @Option(name: TheoryFlags.name("gain"), parsing: .unconditional, help: TheoryFlags.help("gain")) var gain: Double?
    @Option(help: "Student activation: relu (default) or sigmoid.") var student: String?

    func run() throws {
        var spec = TheorySpec(n: common.n, seed: common.seed)
        try fit.apply(to: &spec)
        spec.gain = gain
        if let s = student {
            guard let a = Activation(rawValue: s) else { throw ValidationError("--student must be relu or sigmoid") }
            spec.student = a
        }
        try TheoryFlags.validate(spec, kind: .theorem3)
        let r = try Theorem3.run(spec: spec, progress: common.progress())
        try common.emit(r.outcome) {
            sweepTable(r.sigmoid, n: spec.n, title: "Theorem 3: sigmoid teacher (W = \(spec.resolvedRho) I, F = \(spec.resolvedGain) I), \(spec.resolvedStudent.rawValue) URNN students")
                + "\n\n" + sweepTable(r.relu, n: spec.n, title: "Same network with ReLU (construction warm start included)")
        }
    }
}
