import Foundation
import Testing
@testable import Coordinator
@testable import Shared

@Suite struct SweepTests {
    @Test func paperPresetsHaveTheFullGridWithStableUniqueIDs() throws {
        let a = try SweepFile.load(pathOrPresetName: "paper-fig2")
        let b = try SweepFile.load(pathOrPresetName: "paper-fig2")
        #expect(a.name == "paper-fig2" && a.kind == .synthetic)
        #expect(a.jobs.count == 630)
        let ids = a.jobs.map(\.id)
        #expect(Set(ids).count == 630)
        #expect(ids == b.jobs.map(\.id))
        let specs = a.jobs.compactMap(\.synthetic)
        #expect(specs.count == 630)
        #expect(Set(specs.map(\.realization)) == Set(0...29))
        #expect(Set(specs.map(\.hidden)) == [2, 4, 6, 8, 10, 12, 14])
        #expect(Set(specs.map(\.model)) == [.rnn, .urnn, .lstm])
        #expect(specs.allSatisfy { $0.snrDB == 20 && $0.epochs == 100 && $0.learningRate == 0.01 && $0.batchSize == 10
            && $0.clipNorm == 1 && $0.sequences == 1000 && $0.trainSequences == 700 && $0.steps == 1000 && $0.optimizer == .adam })
        // The preset spells out the paper defaults, so it equals specs built from SyntheticSpec's defaults.
        #expect(a.jobs[0].id == JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 2, snrDB: 20, realization: 0)).id)

        let fig3 = try SweepFile.load(pathOrPresetName: "paper-fig3")
        #expect(fig3.jobs.count == 630)
        #expect(fig3.jobs.allSatisfy { $0.synthetic?.snrDB == 15 })
        #expect(Set(fig3.jobs.map(\.id)).isDisjoint(with: ids))
    }

    @Test func expansionOrderHasTheFirstAxisSlowest() throws {
        let s = try SweepFile.load(pathOrPresetName: "smoke")
        #expect(s.jobs.count == 36)
        let key = s.jobs.map { j -> String in let x = j.synthetic!; return "\(x.realization)/\(x.hidden)/\(x.model.rawValue)" }
        #expect(Array(key.prefix(4)) == ["0/2/rnn", "0/2/urnn", "0/2/lstm", "0/4/rnn"])
        #expect(key.last == "2/14/lstm")
        #expect(s.axes.map(\.key) == ["realization", "hidden", "model"])
        for j in 0..<s.jobs.count {
            let x = s.jobs[j].synthetic!
            #expect(s.axes[0].values[s.axisValueIndex(job: j, axis: 0)] == String(x.realization))
            #expect(s.axes[1].values[s.axisValueIndex(job: j, axis: 1)] == String(x.hidden))
            #expect(s.axes[2].values[s.axisValueIndex(job: j, axis: 2)] == x.model.rawValue)
        }
        #expect(s.jobs.allSatisfy { $0.synthetic!.epochs == 40 && $0.synthetic!.sequences == 300 && $0.synthetic!.trainSequences == 210 })
    }

    @Test func otherPresetsExpand() throws {
        let noop = try SweepFile.load(pathOrPresetName: "noop-bench")
        #expect(noop.jobs.count == 10_000)
        #expect(Set(noop.jobs.map(\.id)).count == 10_000)
        #expect(noop.jobs.map { $0.noop!.token } == Array(0..<10_000))
        #expect(try SweepFile.load(pathOrPresetName: "theorem1-certificates").jobs.count == 1000)
        let t2 = try SweepFile.load(pathOrPresetName: "theorem2-tightness")
        #expect(t2.jobs.count == 12 && t2.kind == .theorem2)
        #expect(t2.jobs.map { $0.theory!.n } == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
        #expect(try SweepFile.load(pathOrPresetName: "theorem3-sigmoid").jobs.count == 6)
    }

    @Test func shippedSweepFilesEqualThePresets() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in SweepPresets.names {
            let file = root.appendingPathComponent("sweeps/\(name).yaml")
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.trimmingCharacters(in: .newlines) == SweepPresets.text(named: name)!.trimmingCharacters(in: .newlines),
                    "sweeps/\(name).yaml differs from the built-in preset")
            // Loading the file gives the same jobs as loading the preset.
            #expect(try SweepFile.load(pathOrPresetName: file.path).jobs == SweepFile.load(pathOrPresetName: name).jobs)
        }
    }

    func ints(_ text: String) throws -> [Int] {
        try SweepReader(source: "test").parseRange(text, field: "x", line: 1)
    }

    @Test func rangesAndLists() throws {
        #expect(try ints("0..4") == [0, 1, 2, 3, 4])
        #expect(try ints("0..<4") == [0, 1, 2, 3])
        #expect(try ints("2..14 by 2") == [2, 4, 6, 8, 10, 12, 14])
        #expect(try ints(" 3 .. 3 ") == [3])
        #expect(try ints("-2..1") == [-2, -1, 0, 1])
        #expect(try ints("1..10 by 4") == [1, 5, 9])
        for bad in ["5..1", "0..<0", "a..3", "1..b", "1...3", "1..3 by 0", "1..3 by x", "0..<-9223372036854775808",
                    "-9223372036854775808..9223372036854775807", "0..99999999999"] {
            #expect(throws: SweepError.self, "accepted \(bad)") { try ints(bad) }
        }
        let yaml = """
        name: lists
        kind: synthetic
        grid:
          realization: [0..2, 10, 20..<22]
          hidden:
            - 3
            - 5
          model: lstm
        fixed:
          snr: 15.5
          clip: none
          normalize_a: false
          noise_rule: meanSquare
        """
        let s = try SweepFile.parse(text: yaml, source: "lists.yaml")
        #expect(s.jobs.count == 6 * 2)
        #expect(Set(s.jobs.map { $0.synthetic!.realization }) == [0, 1, 2, 10, 20, 21])
        #expect(s.jobs.allSatisfy { $0.synthetic!.clipNorm == nil && $0.synthetic!.snrDB == 15.5 && !$0.synthetic!.normalizeA
            && $0.synthetic!.noiseRule == .meanSquare && $0.synthetic!.model == .lstm })
        #expect(s.fixed.map(\.key) == ["snr", "clip", "normalize_a", "noise_rule"])
        #expect(s.definitionText == yaml)
    }

    @Test func everySyntheticFieldCanBeSet() throws {
        let yaml = """
        name: all-fields
        kind: synthetic
        fixed:
          model: crnn
          hidden: 6
          snr: 10
          realization: 7
          seed: 3
          epochs: 4
          lr: 0.002
          optimizer: rmsprop
          batch: 5
          clip: 0.5
          sequences: 50
          steps: 20
          train: 40
          inputs: 3
          teacher_hidden: 5
          outputs: 1
          eps: 0.05
          normalize_a: false
          noise_rule: variance
          calibration_sequences: 30
          calibration_rounds: 12
          guard_lr_factor: 0.25
          guard_max_events: 3
          init: identity
          optimizer_eps: 1e-8
        """
        let s = try SweepFile.parse(text: yaml, source: "t")
        var expected = SyntheticSpec(model: .crnn, hidden: 6, snrDB: 10, realization: 7, seed: 3, epochs: 4, learningRate: 0.002,
                                     optimizer: .rmsprop, batchSize: 5, clipNorm: 0.5, sequences: 50, steps: 20, trainSequences: 40,
                                     inputs: 3, teacherHidden: 5, outputs: 1, eps: 0.05, normalizeA: false, noiseRule: .variance)
        expected.calibrationSequences = 30
        expected.calibrationRounds = 12
        expected.guardLRFactor = 0.25
        expected.guardMaxEvents = 3
        expected.initialization = .identity
        expected.optimizerEpsilon = 1e-8
        #expect(s.jobs == [JobSpec(synthetic: expected)])
        #expect(SyntheticSpec.schema.fields.count == 25)
    }

    /// Fails when `SyntheticSpec` gains a stored property that sweep files cannot set yet:
    /// add a `FieldInfo` line in SyntheticSpec+Fields.swift.
    @Test func sweepFilesCoverEverySyntheticSpecProperty() {
        let properties = Set(Mirror(reflecting: SyntheticSpec(model: .rnn, hidden: 1)).children.compactMap(\.label))
        let covered = Set(SyntheticSpec.schema.fields.compactMap(\.json))
        #expect(properties.subtracting(covered).isEmpty, "SyntheticSpec properties without a sweep key: \(properties.subtracting(covered).sorted())")
        #expect(covered.subtracting(properties).isEmpty, "sweep keys for missing properties: \(covered.subtracting(properties).sorted())")
    }

    @Test func planDescribesCountsAxesAndCost() throws {
        let s = try SweepFile.load(pathOrPresetName: "paper-fig2")
        let text = Plan.describe(s, model: CostModel(), cores: 2)
        #expect(text.contains("630 jobs"))
        #expect(text.contains("realization  30 values: 0, 1, 2, ..., 29"))
        #expect(text.contains("by model:"))
        #expect(text.contains("estimated CPU time:"))
        // The fields the file leaves alone, with the defaults their declaration gives.
        let defaults = try #require(text.split(separator: "\n").first { $0.hasPrefix("defaults: ") })
        #expect(defaults.contains(" eps=0.01 ") && defaults.contains("init=keras") && defaults.contains("guard_max_events=20"), "\(defaults)")
        #expect(!defaults.contains("snr=") && !defaults.contains("model=") && !defaults.contains("realization="), "\(defaults)")
        let noop = Plan.describe(try SweepFile.load(pathOrPresetName: "noop-bench"), model: CostModel(), cores: 2)
        #expect(noop.contains("10000 jobs") && noop.contains("estimated CPU time: 0 s"))
    }

    @Test func costModelScalesWithWork() {
        let m = CostModel()
        func cost(_ model: ModelKind, _ h: Int, epochs: Int = 100) -> Double {
            m.cpuSeconds(JobSpec(synthetic: SyntheticSpec(model: model, hidden: h, epochs: epochs)))
        }
        #expect(cost(.rnn, 14) > cost(.rnn, 2))
        #expect(cost(.lstm, 8) > cost(.rnn, 8))
        // Cost is setup + epochs * per-epoch: linear in epochs.
        let perEpoch = cost(.rnn, 8, epochs: 2) - cost(.rnn, 8, epochs: 1)
        #expect(perEpoch > 0 && abs(cost(.rnn, 8, epochs: 100) - cost(.rnn, 8, epochs: 50) - 50 * perEpoch) < 1e-6)
        // A paper-scale job is seconds to a minute of release-build CPU (fitted to urnn-bench),
        // not milliseconds or hours.
        #expect(cost(.rnn, 14) > 3 && cost(.rnn, 14) < 20)
        #expect(cost(.lstm, 14) > 15 && cost(.lstm, 14) < 120)
        #expect(CostModel(scale: 3).cpuSeconds(JobSpec(synthetic: SyntheticSpec(model: .urnn, hidden: 4))) ==
                3 * m.cpuSeconds(JobSpec(synthetic: SyntheticSpec(model: .urnn, hidden: 4))))
        #expect(m.cpuSeconds(JobSpec(noop: NoopSpec(token: 1, sleepMilliseconds: 500))) == 0)
        #expect(m.sleepSeconds(JobSpec(noop: NoopSpec(token: 1, sleepMilliseconds: 500))) == 0.5)
        #expect(CostModel.format(seconds: 90) == "90 s" && CostModel.format(seconds: 7200) == "2.0 h")
    }
}
