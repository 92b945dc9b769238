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
