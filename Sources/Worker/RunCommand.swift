import ArgumentParser
import Foundation
import Shared

/// `urnn-worker run --model urnn --hidden 8 --snr 20 --realization 3`: one synthetic job,
/// standalone. Progress goes to stderr (flushed line by line), the metrics to stdout;
/// `--json` prints the JobOutcome as one JSON object instead. Defaults are the paper's.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one synthetic job standalone and print its metrics.")

    @Option(help: "Student model: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).") var model: String = "rnn"
    @Option(parsing: .unconditional, help: "Student hidden units.") var hidden: Int = 8
    @Option(parsing: .unconditional, help: "Output SNR in dB.") var snr: Double = 20
    @Option(parsing: .unconditional, help: "Realization index (fixes teacher and data).") var realization: Int = 0
    @Option(parsing: .unconditional, help: "Student seed (initialisation and batch order).") var seed: Int = 0
    @Option(parsing: .unconditional, help: "Training epochs.") var epochs: Int = 100
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.") var learningRate: Double = 0.01
    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).") var optimizer: String = "adam"
    @Option(parsing: .unconditional, help: "Sequences per batch.") var batch: Int = 10
    @Option(parsing: .unconditional, help: "Global gradient-norm clipping threshold.") var clip: Double = 1.0
    @Flag(help: "Disable gradient clipping.") var noClip = false
    @Option(parsing: .unconditional, help: "Sequences generated (train + test).") var sequences: Int = 1000
    @Option(parsing: .unconditional, help: "Steps per sequence.") var steps: Int = 1000
    @Option(parsing: .unconditional, help: "Training sequences (the rest are test).") var trainSequences: Int = 700
    @Option(parsing: .unconditional, help: "Input dimension.") var inputs: Int = 2
    @Option(parsing: .unconditional, help: "Teacher hidden units.") var teacherHidden: Int = 4
    @Option(parsing: .unconditional, help: "Output dimension.") var outputs: Int = 2
    @Option(parsing: .unconditional, help: "Teacher W = I - eps A^T A / ||A||^2.") var eps: Double = 0.01
    @Flag(help: "Teacher W = I - eps A^T A (the authors' script, no division by ||A||^2).") var noNormalizeA = false
    @Option(help: "Noise rule: variance (poster) or meanSquare (authors' script).") var noiseRule: String = "variance"
    @Option(parsing: .unconditional, help: "Bias-calibration sequences (default 100).") var calibrationSequences: Int?
    @Option(parsing: .unconditional, help: "Bias-calibration rounds (default 100).") var calibrationRounds: Int?
    @Option(parsing: .unconditional, help: "Divergence guard: learning-rate factor per intervention (default 0.5).") var guardLrFactor: Double?
    @Option(parsing: .unconditional, help: "Divergence guard: interventions before a run counts as diverged (default 20).") var guardMaxEvents: Int?
    @Option(help: "Student initialisation: keras (default), rotation (keras with det W = +1) or identity (W = I); the last two for ReLU students.") var `init`: String = "keras"
    @Option(parsing: .unconditional, help: "Epsilon of Adam's/RMSProp's denominator (default 1e-7, Keras's).") var optimizerEps: Double?
    @Flag(help: "Print the outcome as one JSON object on stdout.") var json = false
    @Flag(help: "No progress lines on stderr.") var quiet = false

    /// The spec these options describe (throws ValidationError on bad values).
    func spec() throws -> SyntheticSpec {
        guard let m = ModelKind(rawValue: model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let o = OptimizerKind(rawValue: optimizer) else {
            throw ValidationError("unknown optimizer '\(optimizer)'; choose one of \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let r = NoiseRule(rawValue: noiseRule) else {
            throw ValidationError("unknown noise rule '\(noiseRule)'; choose one of \(NoiseRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var s = SyntheticSpec(model: m, hidden: hidden, snrDB: snr, realization: realization, seed: seed, epochs: epochs,
                              learningRate: learningRate, optimizer: o, batchSize: batch, clipNorm: noClip ? nil : clip,
                              sequences: sequences, steps: steps, trainSequences: trainSequences, inputs: inputs,
                              teacherHidden: teacherHidden, outputs: outputs, eps: eps, normalizeA: !noNormalizeA, noiseRule: r)
        s.calibrationSequences = calibrationSequences
        s.calibrationRounds = calibrationRounds
        s.guardLRFactor = guardLrFactor
        s.guardMaxEvents = guardMaxEvents
        guard let initKind = StudentInit(rawValue: self.`init`) else {
            throw ValidationError("unknown init '\(self.`init`)'; choose one of \(StudentInit.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // The defaults stay nil, so the job id equals that of a sweep file that does not name them.
        s.initialization = initKind == .keras ? nil : initKind
        s.optimizerEpsilon = optimizerEps == 1e-7 ? nil : optimizerEps
        do { try JobSpec(synthetic: s).validate() } catch let e as SpecError { throw ValidationError(e.description) }
        return s
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
            outcome = try SyntheticExperiment.run(s) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        } catch let e as SpecError { throw ValidationError(e.description) }
        let wall = Date().timeIntervalSince(started)
        let out = try render(outcome, spec: s, wallSeconds: wall)
        FileHandle.standardOutput.write(Data(out.utf8))
        if !quiet { FileHandle.standardError.write(Data(String(format: "wall time %.2f s\n", wall).utf8)) }
    }
}
