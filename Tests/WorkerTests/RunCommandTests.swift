import ArgumentParser
import Foundation
import Testing
@testable import Shared
@testable import Worker

@Suite struct RunCommandTests {
    func message(_ args: [String]) -> String? {
        do { _ = try RunCommand.parse(args); return nil } catch { return RunCommand.message(for: error) }
    }

    @Test func defaultsAreThePapers() throws {
        let s = try RunCommand.parse(["--model", "urnn", "--hidden", "8", "--snr", "20", "--realization", "3"]).spec()
        #expect(s == SyntheticSpec(model: .urnn, hidden: 8, snrDB: 20, realization: 3))
        #expect(s.epochs == 100 && s.learningRate == 0.01 && s.batchSize == 10 && s.steps == 1000 && s.sequences == 1000)
        let t = try RunCommand.parse(["--model", "lstm", "--no-clip", "--optimizer", "rmsprop", "--noise-rule", "meanSquare"]).spec()
        #expect(t.clipNorm == nil && t.optimizer == .rmsprop && t.noiseRule == .meanSquare)
    }

    @Test(arguments: [
        (["--hidden", "0"], "hidden"),
        (["--hidden", "-3"], "hidden"),
        (["--epochs", "0"], "epochs"),
        (["--snr", "nan"], "snr"),
        (["--snr", "inf"], "snr"),
        (["--lr", "nan"], "lr"),
        (["--lr", "-1"], "lr"),
        (["--model", "gru"], "unknown model"),
        (["--optimizer", "lbfgs"], "unknown optimizer"),
        (["--hidden", "eight"], "hidden"),
        (["--train-sequences", "1000"], "train-sequences"),
    ])
    func badInputGivesAClearMessage(args: [String], mentions: String) {
        let m = message(args)
        #expect(m != nil, "accepted \(args)")
        #expect(m?.contains(mentions) == true, "message for \(args): \(m ?? "")")
        do { _ = try RunCommand.parse(args) } catch { #expect(RunCommand.exitCode(for: error) != .success) }
    }

    @Test func jsonOutputIsOneDecodableOutcome() throws {
        let cmd = try RunCommand.parse(["--json", "--hidden", "3"])
        let outcome = JobOutcome(status: .diverged, metrics: ["test_r2": 0.5, "train_loss": .nan], series: ["test_r2": [0.1, 0.5]],
                                 events: ["epoch 2: guard"], divergedEpoch: 3)
        let text = try cmd.render(outcome, spec: cmd.spec(), wallSeconds: 1.5)
        #expect(text.split(separator: "\n").count == 1)
        #expect(try JSON.decode(JobOutcome.self, from: Data(text.utf8)).bitwiseEqual(outcome))
        let human = try RunCommand.parse(["--hidden", "3"]).render(outcome, spec: cmd.spec(), wallSeconds: 1.5)
        #expect(human.contains("status diverged at epoch 3") && human.contains("test_r2 = 0.5") && human.contains("event: epoch 2"))
    }

    @Test func smallRunPrintsAndReturns() throws {
        var cmd = try RunCommand.parse(["--model", "rnn", "--hidden", "2", "--epochs", "1", "--sequences", "6",
                                        "--train-sequences", "4", "--steps", "10", "--calibration-sequences", "2",
                                        "--calibration-rounds", "2", "--quiet", "--json"])
        try cmd.run()
        cmd.json = false
        try cmd.run()
    }
}

/// `urnn-worker run`'s options are the synthetic fields' declaration (issue 11): every declared
/// flag is an option that sets exactly its field, and every option is a declared field.
@Suite struct RunCommandFieldTests {
    @Test func everyDeclaredFlagSetsItsField() throws {
        let schema = SyntheticSpec.schema
        let base = try RunCommand.parse([]).spec()
        for f in schema.fields {
            let flag = try #require(f.flag, "\(f.key) has no flag")
            let args: [String]
            let want: FieldValue
            switch f.type {
            case .int: want = .int(f.key == "hidden" ? 5 : f.key == "sequences" ? 3000 : 3); args = ["--\(flag)", want.description]
            case .double, .optionalDouble: want = .double(0.125); args = ["--\(flag)", "0.125"]
            case .bool: want = .bool(false); args = ["--\(flag)"]  // the switch that turns a true default off
            case .choice(let words): want = .string(words.last!); args = ["--\(flag)", words.last!]
            case .text: Issue.record("no text fields expected"); continue
            }
            var extra: [String] = []
            if f.key == "init" { extra = ["--model", "rnn"] }   // rotation is for ReLU students
            if f.key == "train" { extra = ["--sequences", "10"] }
            let spec = try RunCommand.parse(args + extra).spec()
            let got = schema.values(JobSpec(synthetic: spec))
            #expect(got[f.key] == want, "--\(flag): \(f.key) = \(got[f.key].map(\.description) ?? "-"), wanted \(want)")
            let unchanged = schema.values(JobSpec(synthetic: base))
            for (k, v) in got where k != f.key && !(f.key == "train" && k == "sequences") {
                #expect(unchanged[k] == v, "--\(flag) also changed \(k)")
            }
        }
    }

    @Test func everyOptionIsADeclaredField() {
        let help = RunCommand.helpMessage(columns: 1000)
        let flags = Set(help.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("--") else { return nil }
            return String(t.dropFirst(2).prefix { $0 != " " && $0 != "," })
        })
        let declared = Set(SyntheticSpec.schema.fields.compactMap(\.flag))
        let ownOptions: Set<String> = ["no-clip", "json", "quiet", "version", "help"]
        #expect(flags.subtracting(declared).subtracting(ownOptions).isEmpty, "undeclared: \(flags.subtracting(declared).subtracting(ownOptions).sorted())")
        #expect(declared.subtracting(flags).isEmpty, "declared but missing: \(declared.subtracting(flags).sorted())")
    }
}
