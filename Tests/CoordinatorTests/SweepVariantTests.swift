import Foundation
import Testing
@testable import Coordinator
@testable import Shared

/// `variants:` in sweep files, the fidelity-ablation preset, and the ablation report.
@Suite struct SweepVariantTests {
    @Test func fidelityAblationSharesJobsWithPaperFig2AndPairsPointsAcrossVariants() throws {
        let s = try SweepFile.load(pathOrPresetName: "fidelity-ablation")
        let fig2 = try SweepFile.load(pathOrPresetName: "paper-fig2")
        #expect(s.variants.map(\.name) == ["baseline", "report-final", "report-best", "restarts-2", "restarts-3", "restarts-5", "epochs-300", "no-clip",
                                           "lr-0.001", "teacher-unnormalized", "noise-mean-square", "init-rotation", "init-identity",
                                           "adam-eps-1e-8", "authors-script"])
        #expect(s.jobs.count == 1680 && Set(s.jobs.map(\.id)).count == 1680)
        let base = s.variants[0]
        // The baseline is paper-fig2's own jobs at hidden 2 and 4 for rnn and urnn: run once, used twice.
        let fig2IDs = Set(fig2.jobs.filter { [2, 4].contains($0.synthetic!.hidden) && $0.synthetic!.model != .lstm }.map(\.id))
        #expect(Set(base.jobIDs) == fig2IDs && base.jobIDs.count == 120)
        // Report-only variants read the same jobs.
        #expect(s.variants[1].jobIDs == base.jobIDs && s.variants[1].metric == .finalTestR2)
        #expect(s.variants[2].jobIDs == base.jobIDs && s.variants[2].metric == .bestTestR2)
        // Restarts: 5 seeds per point, seed 0 being the baseline's job; the seed axis varies fastest.
        let restarts = s.variants[5]
        #expect(restarts.jobIDs.count == 600 && restarts.selection == .lowestTrainLoss)
        #expect(restarts.basePoints == (0..<120).flatMap { Array(repeating: $0, count: 5) })
        let specs = Dictionary(s.jobs.map { ($0.id, $0.synthetic!) }, uniquingKeysWith: { a, _ in a })
        for p in 0..<120 {
            let b = specs[base.jobIDs[p]]!
            #expect(restarts.jobIDs[5 * p] == base.jobIDs[p])
            for v in s.variants {
                for (id, point) in zip(v.jobIDs, v.basePoints) where point == p {
                    let x = specs[id]!
                    #expect(x.realization == b.realization && x.hidden == b.hidden && x.model == b.model)
                }
            }
        }
        #expect(s.variants.first { $0.name == "authors-script" }!.jobIDs.allSatisfy {
            let x = specs[$0]!
            return !x.normalizeA && x.noiseRule == .meanSquare && x.clipNorm == nil && x.learningRate == 0.01
        })
        #expect(s.variants.first { $0.name == "init-identity" }!.jobIDs.allSatisfy { specs[$0]!.initialization == .identity })
        // plan breaks the cost down by variant: report-only variants add no job.
        let text = Plan.describe(s, model: CostModel(scale: 1), cores: 2)
        #expect(text.contains("by variant"))
        #expect(text.split(separator: "\n").contains { $0.contains("report-best") && $0.contains(" 0 new") })
        // restarts-2 adds seed 1 (120 jobs), restarts-3 seed 2 (120), restarts-5 seeds 3 and 4 (240).
        #expect(text.split(separator: "\n").contains { $0.contains("restarts-2") && $0.contains(" 120 new") })
        #expect(text.split(separator: "\n").contains { $0.contains("restarts-5") && $0.contains(" 240 new") })
    }

    @Test func writingTheDefaultsKeepsJobIDs() throws {
        let plain = try SweepFile.parse(text: "name: a\nkind: synthetic\ngrid:\n  model: rnn\n  hidden: 2\n", source: "t")
        let spelled = try SweepFile.parse(text: "name: a\nkind: synthetic\ngrid:\n  model: rnn\n  hidden: 2\nfixed:\n  init: keras\n  optimizer_eps: 1e-7\n", source: "t")
        #expect(plain.jobs.map(\.id) == spelled.jobs.map(\.id))
        #expect(plain.jobs[0].id == JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 2)).id)
        let other = try SweepFile.parse(text: "name: a\nkind: synthetic\ngrid:\n  model: rnn\n  hidden: 2\nfixed:\n  optimizer_eps: 1e-8\n", source: "t")
        #expect(other.jobs[0].synthetic!.optimizerEpsilon == 1e-8 && other.jobs[0].id != plain.jobs[0].id)
    }

    static let head = """
        name: abl
        kind: synthetic
        grid:
          realization: 0..2
          model: [rnn, urnn]
        fixed:
          hidden: 2
          seed: 0
        variants:

        """

    func expectError(_ variants: String, field: String?, containing: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SweepFile.parse(text: Self.head + variants, source: "abl.yaml")
            Issue.record("expected an error containing '\(containing)'", sourceLocation: sourceLocation)
        } catch let e as SweepError {
            #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.contains(containing), "\(e)", sourceLocation: sourceLocation)
            #expect(e.line != nil, "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badVariantsNameTheFieldAndLine() {
        expectError("  - set: {clip: none}", field: "name", containing: "needs a name")
        expectError("  - name: a\n  - name: a", field: "name", containing: "given twice")
        expectError("  - name: a b", field: "name", containing: "letters, digits")
        expectError("  - name: a\n    select: lowest_train_loss", field: "select", containing: "own grid axes")
        expectError("  - name: a\n    grid: {seed: 0..1}\n    select: best", field: "select", containing: "lowest_train_loss")
        expectError("  - name: a\n    set: {model: rnn}", field: "model", containing: "is an axis")
        expectError("  - name: a\n    grid: {realization: 0..1}", field: "realization", containing: "axis of the base grid")
        expectError("  - name: a\n    colour: red", field: "colour", containing: "unknown key in a variant")
        expectError("  - name: a\n    metric: accuracy", field: "metric", containing: "final_test_r2")
        expectError("  - name: a\n    set: {clip: -1}", field: "clip", containing: "> 0")
        expectError("  - name: a\n    set: {init: identity, hidden: 2}\n  - name: b\n    set: {init: zeros}", field: "init", containing: "keras, identity")
        expectError("  - name: a\n    grid: {seed: 0..1}\n    set: {seed: 3}", field: "seed", containing: "is an axis")
        expectError("  []", field: "variants", containing: "non-empty list")
        do {
            _ = try SweepFile.parse(text: "name: n\nkind: noop\nfixed:\n  count: 2\nvariants:\n  - name: a\n    metric: test_r2\n", source: "n")
            Issue.record("a noop sweep has no metric to choose")
        } catch let e as SweepError { #expect(e.description.contains("no metric")) } catch { Issue.record("\(error)") }
        // A variant for LSTM students with the identity init is refused by the spec's own check.
        do {
            _ = try SweepFile.parse(text: "name: n\nkind: synthetic\ngrid:\n  model: lstm\n  hidden: 2\nvariants:\n  - name: a\n    set: {init: identity}\n", source: "n")
            Issue.record("identity init for an LSTM must be refused")
        } catch let e as SweepError { #expect(e.field == "init" && e.description.contains("ReLU students")) } catch { Issue.record("\(error)") }
    }

    // MARK: The ablation report

    static func record(_ spec: JobSpec, _ metrics: [String: Double]) -> ResultRecord {
        ResultRecord(jobID: spec.id, spec: spec, outcome: JobOutcome(metrics: metrics),
                     provenance: Provenance(host: "h", workerID: "w", buildVersion: "b", wallSeconds: 1))
    }

    @Test func ablationPairsRealizationsSelectsRestartsAndSkipsIncompletePoints() throws {
        let sweep = try SweepFile.parse(text: Self.head + """
              - name: baseline
              - name: best
                metric: best_test_r2
              - name: restarts
                grid:
                  seed: 0..1
                select: lowest_train_loss
              - name: noclip
                set:
                  clip: none

            """, source: "abl.yaml")
        #expect(sweep.jobs.count == 6 + 6 + 6)
        var records: [String: ResultRecord] = [:]
        let specs = Dictionary(sweep.jobs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // baseline: rnn r=0..2 -> 0.5, 0.6, 0.7; urnn -> 0.3, 0.4, 0.5; best = +0.1 each.
        // seed 1 runs: training loss lower than seed 0's only at realization 1, where its R^2 is 0.9.
        for (id, spec) in specs {
            let s = spec.synthetic!
            let base = (s.model == .rnn ? 0.5 : 0.3) + 0.1 * Double(s.realization)
            if s.clipNorm == nil {
                if s.realization == 2 { continue }  // not stored yet: missing, not half-counted
                records[id] = Self.record(spec, ["test_r2": base + 0.05])
            } else if s.seed == 1 {
                records[id] = Self.record(spec, ["test_r2": 0.9, "train_loss": s.realization == 1 ? 0.5 : 2])
            } else {
                records[id] = Self.record(spec, ["test_r2": base, "best_test_r2": base + 0.1, "train_loss": 1])
            }
        }
        let a = AblationSummary(sweep: sweep, records: records)
        #expect(a.groups.map(\.label) == ["model rnn", "model urnn"])
        let rnn = a.groups[0].rows
        #expect(rnn.map(\.variant.name) == ["baseline", "best", "restarts", "noclip"])
        #expect(abs(rnn[0].summary.mean! - 0.6) < 1e-12 && rnn[0].paired == nil)
        #expect(abs(rnn[1].summary.mean! - 0.7) < 1e-12 && abs(rnn[1].paired!.mean! - 0.1) < 1e-12)
        // Restarts keep the lowest training loss: 0.5 (seed 0), 0.9 (seed 1), 0.7 (seed 0).
        #expect(rnn[2].values.keys.sorted() == [0, 2, 4])  // rnn's base points: (r0, rnn), (r1, rnn), (r2, rnn)
        #expect(abs(rnn[2].values[2]! - 0.9) < 1e-12 && abs(rnn[2].values[4]! - 0.7) < 1e-12)
        #expect(abs(rnn[2].summary.mean! - (0.5 + 0.9 + 0.7) / 3) < 1e-12)
        #expect(abs(rnn[2].paired!.mean! - 0.1) < 1e-12)  // (0 + 0.3 + 0) / 3
        // noclip: realization 2 missing; pairs only over 0 and 1.
        #expect(rnn[3].summary.count == 2 && rnn[3].missing == 1 && rnn[3].paired!.count == 2)
        #expect(abs(rnn[3].paired!.mean! - 0.05) < 1e-12)
        #expect(rnn[3].paired!.standardDeviation! < 1e-12)
        let md = a.markdown(), csv = a.csv()
        #expect(md.contains("## model rnn") && md.contains("| restarts | seed 0..1, lowest_train_loss |"))
        #expect(csv.split(separator: "\n").count == 1 + 8)
        #expect(csv.hasPrefix(AblationSummary.csvHeader.joined(separator: ",")))
    }

    @Test func ablationFilesAreWrittenForVariantSweepsAndThePaperValueIsShown() throws {
        let sweep = try SweepFile.load(pathOrPresetName: "fidelity-ablation")
        let spec = sweep.jobs[0]  // rnn hidden 2, realization 0, baseline
        let rec = Self.record(spec, ["test_r2": 0.9, "optimal_r2": 0.99])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let urls = try Report.write(records: [rec], sweeps: [sweep], to: dir)
        #expect(urls.map(\.lastPathComponent).contains("ablation-fidelity-ablation.md"))
        let md = try String(contentsOf: dir.appendingPathComponent("ablation-fidelity-ablation.md"), encoding: .utf8)
        #expect(md.contains("## hidden 2, model rnn (paper: 0.915)"))
        #expect(md.contains("| baseline | – | 1 | 0.900 |"))
        #expect(md.contains("-0.015"))  // 0.900 - 0.915
    }
}

extension SweepVariantTests {
    @Test func reportTakesASweepDefinitionInPlaceOfTheStoredOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("abl-cmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let storePath = dir.appendingPathComponent("s.sqlite").path
        let sweep = try SweepFile.load(pathOrPresetName: "fidelity-ablation")
        let store = try Store(path: storePath)
        let report = try store.importResults([Self.record(sweep.jobs[0], ["test_r2": 0.9])], sweep: nil, currentBuild: "b")
        #expect(report.imported == 1 && report.otherBuild.isEmpty)
        // The store records no sweep definition: without --sweep there is no ablation view.
        var cmd = try ReportCommand.parse(["--store", storePath, "--out", dir.appendingPathComponent("r1").path])
        try cmd.run()
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r1/ablation-fidelity-ablation.md").path))
        cmd = try ReportCommand.parse(["--store", storePath, "--out", dir.appendingPathComponent("r2").path, "--sweep", "fidelity-ablation"])
        try cmd.run()
        let md = try String(contentsOfFile: dir.appendingPathComponent("r2/ablation-fidelity-ablation.md").path, encoding: .utf8)
        #expect(md.contains("| baseline | 0.900 [1/30] | – [0/30] |"))
        #expect(md.contains("| *paper* | 0.915 | 0.855 | 0.977 | 0.953 |"))
        cmd = try ReportCommand.parse(["--store", storePath, "--sweep", "no-such-sweep"])
        #expect(throws: (any Error).self) { try cmd.run() }
    }
}
