import CoordinatorWeb
import Foundation
import Shared

/// The results and figures pages: the report's own tables (`ReportTables.table`,
/// `PMNISTReport.table`) and figures (`ReportFigures`, `PMNISTReport.figure`), so the page shows
/// exactly what `report` writes.
enum ResultsPage {
    static func build(records: [ResultRecord]) -> ResultsView {
        var tables: [ResultsView.Table] = []
        var figures: [ResultsView.Figure] = []
        let summary = SyntheticSummary(records: records)
        for snr in summary.snrs {
            let t = ReportTables.table(summary, snr: snr)
            let note = summary.optimalBySNR[snr].map { String(format: "Optimal R² (noiseless teacher output): %.4f.", $0) }
            tables.append(.init(title: "SNR \(SweepFormat.number(snr)) dB", note: note, columns: t.columns, rows: t.rows))
            let name = String(ReportFigures.fileName(snr: snr).dropLast(4))
            let fig = ReportFigures.figure(summary, snr: snr)
            figures.append(.init(name: name, title: fig.title, svg: JobCurves.inline(fig.svg())))
        }
        if records.contains(where: { $0.spec.kind == .pmnist }) {
            let rows = PMNISTReport.rows(records)
            for lr in Set(rows.map(\.learningRate)).sorted(by: >) {
                let t = PMNISTReport.table(rows, learningRate: lr)
                tables.append(.init(title: "Permuted MNIST, lr \(lr)", note: nil, columns: t.columns, rows: t.rows))
            }
            let fig = PMNISTReport.figure(rows, records: records)
            figures.append(.init(name: "fig-pmnist", title: fig.title, svg: JobCurves.inline(fig.svg())))
        }
        return ResultsView(records: records.count, tables: tables, figures: figures)
    }
}

/// A job's per-epoch curves (training loss, test loss, test R^2 or accuracy) as panels.
enum JobCurves {
    static func figure(_ o: JobOutcome) -> SVGFigure? {
        func panel(_ title: String, _ y: String, _ names: [String], log: Bool) -> SVGPlot? {
            var p = SVGPlot(title: title, xLabel: "epoch", yLabel: y, yScale: log ? .log10 : .linear)
            let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
            for (i, name) in names.enumerated() {
                guard let values = o.series[name], !values.isEmpty else { continue }
                let points = values.enumerated().compactMap { e -> SVGPlot.Point? in
                    guard e.element.isFinite, !log || e.element > 0 else { return nil }
                    return SVGPlot.Point(x: Double(e.offset + 1), y: e.element)
                }
                if !points.isEmpty {
                    p.series.append(SVGPlot.Series(name: name, points: points, color: colors[i % colors.count], marker: SVGPlot.Marker.none))
                }
            }
            p.legend = .topRight
            return p.series.isEmpty ? nil : p
        }
        let panels = [
            panel("Loss per epoch", "loss", ["train_loss", "test_loss", "validation_loss"], log: true),
            panel("Test R² per epoch", "R²", ["test_r2", "train_r2"], log: false),
            panel("Accuracy per epoch", "accuracy", ["validation_accuracy", "test_accuracy", "train_accuracy"], log: false),
        ].compactMap { $0 }
        return panels.isEmpty ? nil : SVGFigure(title: "", panels: panels, columns: min(2, panels.count))
    }

    /// An SVG document without its XML declaration, to sit inside HTML.
    static func inline(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>\n") else { return svg }
        return String(svg[end.upperBound...])
    }
}
