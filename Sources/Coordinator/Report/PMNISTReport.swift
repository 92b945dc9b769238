import Foundation
import Shared

/// The pMNIST part of a report (Figure 4): test accuracy at the early-stopping epoch against hidden
/// units, per model and learning rate, over the stored runs (seeds) of each point.
///
/// Writes `pmnist-summary.csv`, `pmnist-summary.md` and `fig-pmnist.svg`: one panel per learning
/// rate (mean test accuracy, error bars min..max over runs, one line per model, in the style of
/// Figures 2 and 3), and one panel with the validation-accuracy curve of the best run per model.
enum PMNISTReport {
    struct Row {
        var model: ModelKind
        var hidden: Int
        var learningRate: Double
        var runs: Int
        var accuracy: SampleSummary
        var selectedEpoch: SampleSummary
        var epochsRun: SampleSummary
        var diverged: Int
        var stoppedEarly: Int
    }

    static func rows(_ records: [ResultRecord]) -> [Row] {
        var groups: [String: [(PMNISTSpec, JobOutcome)]] = [:]
        for r in records {
            guard let s = r.spec.pmnist else { continue }
            groups["\(s.model.rawValue)|\(s.hidden)|\(s.learningRate)", default: []].append((s, r.outcome))
        }
        let order = ModelKind.allCases
        return groups.values.map { g in
            let s = g[0].0
            let o = g.map(\.1)
            return Row(model: s.model, hidden: s.hidden, learningRate: s.learningRate, runs: g.count,
                       accuracy: SampleSummary(o.map { $0[.testAccuracy] ?? .nan }),
                       selectedEpoch: SampleSummary(o.map { $0[.selectedEpoch] ?? .nan }),
                       epochsRun: SampleSummary(o.map { $0[.epochsRun] ?? .nan }),
                       diverged: o.filter { $0.status == .diverged }.count,
                       stoppedEarly: o.filter { $0[.stoppedEarly] == 1 }.count)
        }.sorted { a, b in
            if a.learningRate != b.learningRate { return a.learningRate > b.learningRate }
            if a.model != b.model { return order.firstIndex(of: a.model)! < order.firstIndex(of: b.model)! }
            return a.hidden < b.hidden
        }
    }

    static let csvHeader = ["model", "hidden", "lr", "runs", "acc_count", "acc_mean", "acc_sd", "acc_min", "acc_max",
                            "selected_epoch_mean", "epochs_run_mean", "stopped_early", "diverged"]

    static func csv(_ rows: [Row]) -> String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var t = TextTable(columns: csvHeader)
        for r in rows {
            t.rows.append([r.model.rawValue, String(r.hidden), "\(r.learningRate)", String(r.runs), String(r.accuracy.count),
                           n(r.accuracy.mean), n(r.accuracy.standardDeviation), n(r.accuracy.min), n(r.accuracy.max),
                           n(r.selectedEpoch.mean), n(r.epochsRun.mean), String(r.stoppedEarly), String(r.diverged)])
        }
        return t.csv()
    }

    static func markdown(_ rows: [Row]) -> String {
        var o = "# Permuted MNIST (Figure 4)\n\n"
        o += "Test accuracy at the epoch with the best validation accuracy (early stopping), over the stored runs of each "
            + "point. *Spread* is min–max over runs; *epoch* the mean epoch early stopping chose (of *run* epochs).\n"
        for lr in Set(rows.map(\.learningRate)).sorted(by: >) {
            o += "\n## lr \(lr)\n\n"
            o += table(rows, learningRate: lr).markdown()
        }
        return o
    }

    /// The table of one learning rate as pmnist-summary.md shows it (and the web view's results page).
    static func table(_ rows: [Row], learningRate lr: Double) -> TextTable {
        func f(_ v: Double?, _ d: Int = 4) -> String { v.map { String(format: "%.\(d)f", $0) } ?? "–" }
        var t = TextTable(columns: ["model", "hidden", "runs", "mean acc", "sd", "spread", "epoch", "run", "early stops", "diverged"],
                          alignments: [.left, .right, .right, .right, .right, .left, .right, .right, .right, .right])
        for r in rows where r.learningRate == lr {
            let spread = r.accuracy.min.map { "\(f($0))–\(f(r.accuracy.max))" } ?? "–"
            t.rows.append([r.model.rawValue, String(r.hidden), String(r.runs), f(r.accuracy.mean), f(r.accuracy.standardDeviation),
                           spread, f(r.selectedEpoch.mean, 1), f(r.epochsRun.mean, 1), String(r.stoppedEarly), String(r.diverged)])
        }
        return t
    }

    static func figure(_ rows: [Row], records: [ResultRecord]) -> SVGFigure {
        var panels: [SVGPlot] = []
        for lr in Set(rows.map(\.learningRate)).sorted(by: >) {
            var p = SVGPlot(title: "Test accuracy vs hidden units, lr \(lr)", xLabel: "hidden units", yLabel: "test accuracy")
            for m in ModelKind.allCases {
                let points = rows.filter { $0.model == m && $0.learningRate == lr }.compactMap { r -> SVGPlot.Point? in
                    guard let mean = r.accuracy.mean else { return nil }
                    return SVGPlot.Point(x: Double(r.hidden), y: mean, yLow: r.accuracy.min, yHigh: r.accuracy.max)
                }
                if !points.isEmpty {
                    p.series.append(SVGPlot.Series(name: m.rawValue.uppercased(), points: points,
                                                   color: ReportFigures.color(m), marker: ReportFigures.marker(m)))
                }
            }
            p.referenceLines.append(.init(y: 0.1, label: "chance 0.1"))
            p.yRange = 0...1
            p.legend = .bottomRight
            panels.append(p)
        }
        // Validation curves of the best run (highest test accuracy at its selected epoch) per model.
        var curves = SVGPlot(title: "Validation accuracy of the best run per model", xLabel: "epoch", yLabel: "validation accuracy")
        for m in ModelKind.allCases {
            let best = records.filter { $0.spec.pmnist?.model == m }
                .max { ($0.outcome[.testAccuracy] ?? -1) < ($1.outcome[.testAccuracy] ?? -1) }
            guard let b = best, let s = b.spec.pmnist, let v = b.outcome.series[Metric.validationAccuracy.rawValue], !v.isEmpty else { continue }
            curves.series.append(SVGPlot.Series(name: "\(m.rawValue.uppercased()) h=\(s.hidden) lr=\(s.learningRate)",
                                                points: v.enumerated().map { SVGPlot.Point(x: Double($0.offset + 1), y: $0.element) },
                                                color: ReportFigures.color(m), marker: ReportFigures.marker(m)))
        }
        curves.yRange = 0...1
        curves.legend = .bottomRight
        panels.append(curves)
        return SVGFigure(title: "Permuted pixel-by-pixel MNIST", panels: panels, columns: min(3, panels.count))
    }

    /// Writes the three files; returns their URLs.
    static func write(records: [ResultRecord], to dir: URL) throws -> [URL] {
        let r = rows(records)
        var urls: [URL] = []
        for (name, text) in [("pmnist-summary.csv", csv(r)), ("pmnist-summary.md", markdown(r)),
                             ("fig-pmnist.svg", figure(r, records: records).svg())] {
            let url = dir.appendingPathComponent(name)
            do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
                throw Report.WriteError(path: url.path, underlying: error.localizedDescription)
            }
            urls.append(url)
        }
        return urls
    }
}
