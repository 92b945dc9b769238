import Foundation
import Testing
@testable import Coordinator
@testable import Shared

@Suite struct PMNISTSweepTests {
    @Test func paperFig4HasThePapersGrid() throws {
        let s = try SweepFile.load(pathOrPresetName: "paper-fig4")
        #expect(s.kind == .pmnist && s.jobs.count == 56)
        let specs = s.jobs.compactMap(\.pmnist)
        #expect(Set(specs.map(\.model)) == [.rnn, .crnn, .urnn, .lstm])
        #expect(Set(specs.map(\.hidden)) == [16, 32, 48, 64, 80, 96, 128])
        #expect(Set(specs.map(\.learningRate)) == [1e-3, 1e-4])
        #expect(specs.allSatisfy { $0.optimizer == .rmsprop && $0.batchSize == 64 && $0.epochs == 100 && $0.permuted
            && $0.pool == nil && $0.trainLimit == nil && $0.clipNorm == nil && $0.data == "data/mnist" })
        // Spelled-out defaults: the same ids as specs built from PMNISTSpec's defaults.
        #expect(s.jobs[0].id == JobSpec(pmnist: PMNISTSpec(model: .rnn, hidden: 16, data: "data/mnist")).id)
        #expect(Set(s.jobs.map(\.id)).count == 56)
        // plan: full MNIST sizes, hours per job at the large sizes.
        let text = Plan.describe(s, model: CostModel(), cores: 2)
        #expect(text.contains("56 jobs") && text.contains("estimated CPU time:"))
        let big = CostModel().cpuSeconds(JobSpec(pmnist: PMNISTSpec(model: .lstm, hidden: 128, data: "x")))
        let small = CostModel().cpuSeconds(JobSpec(pmnist: PMNISTSpec(model: .rnn, hidden: 16, data: "x")))
        #expect(big > 3600 && small < big / 10)
    }

    @Test func smokePresetPointsAtTheShippedSubset() throws {
        let s = try SweepFile.load(pathOrPresetName: "pmnist-smoke")
        #expect(s.kind == .pmnist && s.jobs.count == 8)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for j in s.jobs {
            let p = try #require(j.pmnist)
            #expect(p.pool == 7 && p.trainLimit == 2000 && p.epochs == 3)
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(p.data).path))
            try j.validate()
        }
        // Small enough for CI: well under a CPU-minute in a release build by the cost model.
        #expect(s.jobs.map(CostModel().cpuSeconds).reduce(0, +) < 60)
    }

    @Test func everyPMNISTSpecPropertyHasASweepKey() {
        let properties = Set(Mirror(reflecting: PMNISTSpec(model: .rnn, hidden: 1, data: "x")).children.compactMap(\.label))
        let covered = Set(PMNISTSpec.schema.fields.compactMap(\.json))
        #expect(properties == covered, "uncovered: \(properties.subtracting(covered).sorted()), extra: \(covered.subtracting(properties).sorted())")
    }

    @Test func badPMNISTSweepsNameTheFieldAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pmnist-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func error(_ body: String) -> String {
            let path = dir.appendingPathComponent("s.yaml").path
            try! ("name: t\nkind: pmnist\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
            do { _ = try SweepFile.load(pathOrPresetName: path); return "" } catch { return "\(error)" }
        }
        #expect(error("grid:\n  hidden: [8, 0]\nfixed:\n  model: rnn\n  data: d\n").contains("s.yaml:4: field 'hidden'"))
        #expect(error("grid:\n  hidden: [8]\nfixed:\n  model: rnn\n").contains("data"))
        #expect(error("grid:\n  hidden: [8]\nfixed:\n  model: rnn\n  data: d\n  pool: 3\n").contains("field 'pool'"))
        #expect(error("grid:\n  hidden: [8]\nfixed:\n  model: rnn\n  data: d\n  permuted: maybe\n").contains("field 'permuted'"))
        #expect(error("grid:\n  hidden: [8]\nfixed:\n  model: rnn\n  data: d\n  train_limit: 0\n").contains("field 'train_limit'"))
        #expect(error("grid:\n  hidden: [8]\nfixed:\n  model: gru\n  data: d\n").contains("unknown model 'gru'"))
    }

    @Test func reportTabulatesAndDrawsPMNIST() throws {
        func record(_ m: ModelKind, _ h: Int, _ lr: Double, seed: Int, acc: Double) -> ResultRecord {
            var s = PMNISTSpec(model: m, hidden: h, data: "d", learningRate: lr); s.seed = seed
            let o = JobOutcome(metrics: ["test_accuracy": acc, "selected_epoch": 7, "epochs_run": 17, "stopped_early": 1],
                               series: ["validation_accuracy": [0.5, 0.7, 0.8]])
            return ResultRecord(jobID: JobSpec(pmnist: s).id, spec: JobSpec(pmnist: s), outcome: o,
                                provenance: Provenance(host: "h", workerID: "w", buildVersion: "b", wallSeconds: 1))
        }
        let records = [record(.rnn, 16, 1e-3, seed: 0, acc: 0.8), record(.rnn, 16, 1e-3, seed: 1, acc: 0.9),
                       record(.urnn, 16, 1e-3, seed: 0, acc: 0.7), record(.urnn, 32, 1e-4, seed: 0, acc: 0.6)]
        let rows = PMNISTReport.rows(records)
        #expect(rows.count == 3)
        let rnn = try #require(rows.first { $0.model == .rnn })
        #expect(rnn.runs == 2 && abs(rnn.accuracy.mean! - 0.85) < 1e-12 && rnn.accuracy.min == 0.8 && rnn.accuracy.max == 0.9)
        #expect(rnn.selectedEpoch.mean == 7 && rnn.stoppedEarly == 2)
        let md = PMNISTReport.markdown(rows)
        #expect(md.contains("## lr 0.001") && md.contains("## lr 0.0001") && md.contains("0.8500"))
        let csv = PMNISTReport.csv(rows)
        #expect(csv.split(separator: "\n").count == 4 && csv.hasPrefix(PMNISTReport.csvHeader.joined(separator: ",")))
        let svg = PMNISTReport.figure(rows, records: records).svg()
        #expect(svg.contains("lr 0.001") && svg.contains("Validation accuracy of the best run") && svg.contains("RNN h=16"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pmnist-report-\(UUID().uuidString)")
        let urls = try Report.write(records: records, to: dir)
        #expect(Set(urls.map(\.lastPathComponent)).isSuperset(of: ["pmnist-summary.csv", "pmnist-summary.md", "fig-pmnist.svg"]))
    }
}
