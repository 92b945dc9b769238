import Foundation
import Shared
import Testing

/// Bad input on the command line: the binaries exit with a non-zero status (not a crash signal)
/// and a message that says what is wrong and where.
@Suite struct CommandLineErrors {
    /// A bad sweep file: its text, the line and the field the error must name, and a phrase of the reason.
    struct BadSweep: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var field: String?
        var reason: String
        var testDescription: String { name }
    }

    static let badSweeps: [BadSweep] = [
        BadSweep(name: "misspelt-key", text: """
            name: bad
            kind: synthetic
            grid:
              model: [rnn, urnn]
              hiden: [2, 3]
            """, line: 5, field: "hiden", reason: "unknown key"),
        BadSweep(name: "unknown-model", text: """
            name: bad
            kind: synthetic
            grid:
              hidden: [2, 3]
              model: [rnn, gru]
            """, line: 5, field: "model", reason: "gru"),
        BadSweep(name: "zero-hidden", text: """
            name: bad
            kind: synthetic
            grid:
              model: rnn
              hidden: [2, 0]
            fixed:
              epochs: 1
            """, line: 5, field: "hidden", reason: "must be in 1...4096, got 0"),
        BadSweep(name: "empty-range", text: """
            name: bad
            kind: synthetic
            grid:
              model: rnn
              hidden: 2
              realization: 5..1
            """, line: 6, field: "realization", reason: "5..1"),
        BadSweep(name: "default-clash", text: """
            name: bad
            kind: synthetic
            grid:
              model: rnn
              hidden: 2
            fixed:
              sequences: 100
            """, line: 7, field: "train", reason: "default"),
        BadSweep(name: "top-level-key", text: """
            name: bad
            kind: synthetic
            colour: blue
            grid:
              model: rnn
              hidden: 2
            """, line: 3, field: "colour", reason: "unknown key"),
        BadSweep(name: "wrong-type", text: """
            name: bad
            kind: synthetic
            grid:
              model: rnn
              hidden: 2
            fixed:
              epochs: many
            """, line: 7, field: "epochs", reason: "integer"),
        BadSweep(name: "negative-sleep", text: """
            name: bad
            kind: noop
            fixed:
              count: 3
              sleep_ms: -5
            """, line: 5, field: "sleep_ms", reason: "-5"),
        BadSweep(name: "yaml-syntax", text: """
            name: bad
            kind: synthetic
            grid:
              model: rnn
              hidden: [2, 3
            fixed:
            """, line: 6, field: nil, reason: "YAML"),
    ]

    @Test(arguments: badSweeps)
    func badSweepFileIsRefusedByPlanAndRunWithFieldAndLine(_ bad: BadSweep) throws {
        try Bin.require()
        let scratch = try Scratch("badsweep")
        let file = try scratch.write("\(bad.name).yaml", bad.text + "\n")
        let store = scratch.path("store/\(bad.name).sqlite")
        let port = try freeLoopbackPort()
        let plan = try runToEnd(Bin.coordinator, ["plan", file], in: scratch)
        let run = try runToEnd(Bin.coordinator, ["run", file, "--store", store, "--bind", "tcp://127.0.0.1:\(port)"], in: scratch)
        for (what, f) in [("plan", plan), ("run", run)] {
            #expect(f.exitedNormally && f.status != 0, "\(what) \(bad.name): status \(f.status), reason \(f.reason)")
            #expect(f.stderr.contains("\(bad.name).yaml:\(bad.line):"), "\(what) \(bad.name) does not name line \(bad.line):\n\(f.stderr)")
            if let field = bad.field {
                #expect(f.stderr.contains("field '\(field)'"), "\(what) \(bad.name) does not name field \(field):\n\(f.stderr)")
            }
            #expect(f.stderr.contains(bad.reason), "\(what) \(bad.name) does not say '\(bad.reason)':\n\(f.stderr)")
        }
        // The whole sweep is refused before anything is stored.
        #expect(!FileManager.default.fileExists(atPath: store), "run created a store for a bad sweep")
    }

    @Test func missingSweepFileOrPresetIsRefused() throws {
        try Bin.require()
        let scratch = try Scratch("nosweep")
        let f = try runToEnd(Bin.coordinator, ["plan", scratch.path("no-such-sweep.yaml")], in: scratch)
        #expect(f.exitedNormally && f.status != 0)
        #expect(f.stderr.contains("no-such-sweep"), "\(f.stderr)")
    }

    @Test(arguments: ["tcp://0.0.0.0:{PORT}", "tcp://192.0.2.1:{PORT}", "tcp://*:{PORT}"])
    func nonLoopbackBindWithoutCurveOrInsecureIsRefused(_ pattern: String) throws {
        try Bin.require()
        let scratch = try Scratch("bind")
        let sweep = try scratch.write("ok.yaml", noopSweep(name: "integ-bind", count: 2, sleepMs: 0))
        let endpoint = pattern.replacingOccurrences(of: "{PORT}", with: String(try freeLoopbackPort()))
        let f = try runToEnd(Bin.coordinator, ["run", sweep, "--store", scratch.path("bind.sqlite"), "--bind", endpoint],
                             in: scratch, timeout: 15)
        #expect(f.exitedNormally && f.status != 0, "status \(f.status) \(f.reason)\n\(f.stderr)")
        #expect(f.stderr.contains("refusing to bind \(endpoint)"), "\(f.stderr)")
        #expect(f.stderr.contains("--insecure") && f.stderr.contains("CURVE"), "the message does not say how to allow it:\n\(f.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("bind.sqlite")), "a refused run created its store")
    }

    /// `urnn-worker run` with a bad option: (arguments, words the message must contain).
    static let badRuns: [([String], [String])] = [
        (["--hidden", "0"], ["hidden", "0"]),
        (["--epochs", "0"], ["epochs", "0"]),
        (["--snr", "nan"], ["snr", "nan"]),
        (["--snr", "inf"], ["snr"]),
        (["--model", "foo"], ["model", "foo"]),
        (["--optimizer", "adagrad"], ["optimizer", "adagrad"]),
        (["--lr", "0"], ["lr"]),
        (["--batch", "0"], ["batch"]),
        (["--steps", "0"], ["steps"]),
        (["--train-sequences", "2000"], ["train-sequences", "2000"]),
        (["--hidden", "many"], ["hidden", "many"]),
    ]

    @Test(arguments: badRuns)
    func workerRunRefusesBadOptionsWithoutCrashing(_ args: [String], _ words: [String]) throws {
        try Bin.require()
        let scratch = try Scratch("workerrun")
        let f = try runToEnd(Bin.worker, ["run", "--quiet"] + args, in: scratch, timeout: 20)
        #expect(f.reason == .exit, "crashed with a signal: \(f.status)\n\(f.stderr)")
        #expect(f.status != 0, "accepted \(args)")
        #expect(f.stdout.isEmpty, "printed results for \(args): \(f.stdout)")
        let firstLine = f.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("Error:"), "\(f.stderr)")
        for w in words { #expect(firstLine.contains(w), "message for \(args) does not mention '\(w)': \(firstLine)") }
    }

    @Test func workerExecRefusesABadSpecWithoutCrashing() throws {
        try Bin.require()
        let scratch = try Scratch("workerexec")
        let cases: [(String, String)] = [
            (try scratch.write("noop-missing.json", #"{"version":1,"kind":"noop"}"#), "noop"),
            (try scratch.write("not-json.json", "nope"), "not a valid job spec"),
            (try scratch.write("bad-hidden.json", try JSON.string(JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 0)))), "hidden"),
            (scratch.path("missing.json"), "cannot read"),
        ]
        for (path, word) in cases {
            let f = try runToEnd(Bin.worker, ["exec", "--spec", path, "--quiet"], in: scratch, timeout: 20)
            #expect(f.reason == .exit && f.status != 0, "\(path): status \(f.status) \(f.reason)")
            #expect(f.stdout.isEmpty && f.stderr.contains(word), "\(path):\n\(f.stderr)")
        }
    }

    @Test func workerExecPrintsTheOutcomeOfAGoodSpec() throws {
        try Bin.require()
        let scratch = try Scratch("workerexecok")
        let spec = try scratch.write("noop.json", try JSON.string(JobSpec(noop: NoopSpec(token: 42))))
        let f = try runToEnd(Bin.worker, ["exec", "--spec", spec, "--quiet"], in: scratch, timeout: 20)
        #expect(f.status == 0, "\(f.stderr)")
        let outcome = try JSON.decode(JobOutcome.self, from: Data(f.stdout.utf8))
        #expect(outcome.status == .ok && outcome.metrics["token"] == 42)
    }
}
