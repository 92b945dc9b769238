import ArgumentParser
import Foundation
import Shared

/// `urnn-worker run --model urnn --hidden 8 --snr 20 --realization 3`: one synthetic job,
/// standalone. Progress goes to stderr (flushed line by line), the metrics to stdout;
/// `--json` prints the JobOutcome as one JSON object instead. Defaults are the paper's.
///
/// The options are the synthetic job's fields (`SyntheticSpec.fields`): their flags and help
/// come from there, the values become a spec through `KindSchema.make` as a sweep file's do, and
/// the spec is checked by the same `validate()`. An option left out keeps the field's default.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one synthetic job standalone and print its metrics.")

    static let schema = SyntheticSpec.schema
    static func name(_ key: String) -> NameSpecification { .customLong(schema.field(key)!.flag!) }
    static func help(_ key: String) -> ArgumentHelp {
        let f = schema.field(key)!
        let choices: String
        if case .choice(let words) = f.type { choices = ": " + words.joined(separator: ", ") } else { choices = "" }
        return ArgumentHelp(f.help + choices + (f.defaultText == "required" ? "" : " (default: \(f.defaultText))"))
    }

    // Required in a sweep file; the command has its own defaults for them.
    @Option(name: name("model"), help: help("model")) var model: String = "rnn"
    @Option(name: name("hidden"), parsing: .unconditional, help: help("hidden")) var hidden: Int = 8
    @Option(name: name("snr"), parsing: .unconditional, help: help("snr")) var snr: Double?
    @Option(name: name("realization"), parsing: .unconditional, help: help("realization")) var realization: Int?
    @Option(name: name("seed"), parsing: .unconditional, help: help("seed")) var seed: Int?
    @Option(name: name("epochs"), parsing: .unconditional, help: help("epochs")) var epochs: Int?
    @Option(name: name("lr"), parsing: .unconditional, help: help("lr")) var learningRate: Double?
    @Option(name: name("optimizer"), help: help("optimizer")) var optimizer: String?
    @Option(name: name("batch"), parsing: .unconditional, help: help("batch")) var batch: Int?
    @Option(name: name("clip"), parsing: .unconditional, help: help("clip")) var clip: Double?
    @Flag(help: "Disable gradient clipping (clip: none).") var noClip = false
    @Option(name: name("sequences"), parsing: .unconditional, help: help("sequences")) var sequences: Int?
    @Option(name: name("steps"), parsing: .unconditional, help: help("steps")) var steps: Int?
    @Option(name: name("train"), parsing: .unconditional, help: help("train")) var trainSequences: Int?
    @Option(name: name("inputs"), parsing: .unconditional, help: help("inputs")) var inputs: Int?
    @Option(name: name("teacher_hidden"), parsing: .unconditional, help: help("teacher_hidden")) var teacherHidden: Int?
    @Option(name: name("outputs"), parsing: .unconditional, help: help("outputs")) var outputs: Int?
    @Option(name: name("eps"), parsing: .unconditional, help: help("eps")) var eps: Double?
    @Flag(name: name("normalize_a"), help: "Teacher W = I - eps A^T A (the authors' script, no division by ||A||^2).") var noNormalizeA = false
    @Option(name: name("noise_rule"), help: help("noise_rule")) var noiseRule: String?
    @Option(name: name("calibration_sequences"), parsing: .unconditional, help: help("calibration_sequences")) var calibrationSequences: Int?
    @Option(name: name("calibration_rounds"), parsing: .unconditional, help: help("calibration_rounds")) var calibrationRounds: Int?
    @Option(name: name("guard_lr_factor"), parsing: .unconditional, help: help("guard_lr_factor")) var guardLrFactor: Double?
    @Option(name: name("guard_max_events"), parsing: .unconditional, help: help("guard_max_events")) var guardMaxEvents: Int?
    @Option(name: name("init"), help: help("init")) var `init`: String?
    @Option(name: name("optimizer_eps"), parsing: .unconditional, help: help("optimizer_eps")) var optimizerEps: Double?
    @Flag(help: "Print the outcome as one JSON object on stdout.") var json = false
    @Flag(help: "No progress lines on stderr.") var quiet = false

    /// The field values the options give, by sweep key (options left out are absent).
    func values() -> [String: FieldValue] {
        var v: [String: FieldValue] = ["model": .string(model), "hidden": .int(hidden)]
        let ints: [(String, Int?)] = [("realization", realization), ("seed", seed), ("epochs", epochs), ("batch", batch),
                                      ("sequences", sequences), ("steps", steps), ("train", trainSequences), ("inputs", inputs),
                                      ("teacher_hidden", teacherHidden), ("outputs", outputs),
                                      ("calibration_sequences", calibrationSequences), ("calibration_rounds", calibrationRounds),
                                      ("guard_max_events", guardMaxEvents)]
        let doubles: [(String, Double?)] = [("snr", snr), ("lr", learningRate), ("clip", clip), ("eps", eps),
                                            ("guard_lr_factor", guardLrFactor), ("optimizer_eps", optimizerEps)]
        let words: [(String, String?)] = [("optimizer", optimizer), ("noise_rule", noiseRule), ("init", self.`init`)]
        for (k, x) in ints { if let x { v[k] = .int(x) } }
        for (k, x) in doubles { if let x { v[k] = .double(x) } }
        for (k, x) in words { if let x { v[k] = .string(x) } }
        if noClip { v["clip"] = FieldValue.none }
        if noNormalizeA { v["normalize_a"] = .bool(false) }
        return v
    }

    /// The spec these options describe (throws ValidationError naming the option on bad values).
    func spec() throws -> SyntheticSpec {
        let values = values()
        // Each value's own check first (unknown words, ranges), then the spec's, as a sweep file's.
        for f in Self.schema.fields {
            if let v = values[f.key], let message = f.check(v) { throw ValidationError("invalid --\(f.flag!): \(message)") }
        }
        let job = Self.schema.make(values)
        do { try job.validate() } catch let e as SpecError { throw ValidationError(Self.schema.describe(e, as: .flag)) }
        return job.synthetic!
    }

    func validate() throws { _ = try spec() }

    /// What `run` prints on stdout: one JSON object (`--json`) or a readable summary.
    func render(_ outcome: JobOutcome, spec s: SyntheticSpec, wallSeconds wall: Double) throws -> String {
        if json { return try JSON.string(outcome) + "\n" }
        var out = ""
        func line(_ text: String) { out += text + "\n" }
        line("job \(JobSpec(synthetic: s).id)  \(s.summary)")
        line("status \(outcome.status.rawValue)" + (outcome.divergedEpoch.map { " at epoch \($0)" } ?? ""))
        for (k, v) in outcome.metrics.sorted(by: { $0.key < $1.key }) { line("  \(k) = \(v)") }
        for e in outcome.events { line("  event: \(e)") }
        line(String(format: "wall %.2f s", wall))
        return out
    }

    func run() throws {
        let s = try spec()
        let quiet = self.quiet
        let started = Date()
        let outcome: JobOutcome
        do {
            outcome = try JobExecutor.run(JobSpec(synthetic: s)) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        } catch let e as SpecError { throw ValidationError(Self.schema.describe(e, as: .flag)) }
        let wall = Date().timeIntervalSince(started)
        let out = try render(outcome, spec: s, wallSeconds: wall)
        FileHandle.standardOutput.write(Data(out.utf8))
        if !quiet { FileHandle.standardError.write(Data(String(format: "wall time %.2f s\n", wall).utf8)) }
    }
}
