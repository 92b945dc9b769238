import Foundation
import Shared

/// Figures 2 and 3 of the paper, from a `SyntheticSummary`.
enum ReportFigures {
    static func fileName(snr: Double) -> String { "fig-snr\(SweepFormat.number(snr)).svg" }

    /// Two panels for one SNR: mean test R^2 (error bars: 95% t-interval of the mean; faint dots:
    /// the single runs, one per realization) against
    /// hidden units per model, with the optimal R^2 as a dashed line; and the same with the URNN
    /// drawn at half its hidden units ("adjusted hidden units"), where the paper's claim says the
    /// URNN and RNN curves should roughly meet.
    static func figure(_ s: SyntheticSummary, snr: Double) -> SVGFigure {
        let rows = s.rows.filter { $0.snrDB == snr }
        let models = ModelKind.allCases.filter { m in rows.contains { $0.model == m } }
        let snrText = SweepFormat.number(snr)
        func panel(adjusted: Bool) -> SVGPlot {
            var p = SVGPlot(
                title: adjusted ? "URNN at half its hidden units" : "Test R² vs hidden units",
                xLabel: adjusted ? "adjusted hidden units (URNN: hidden / 2)" : "hidden units",
                yLabel: "test R²")
            // Every run as a small faint dot behind the means, shifted a little per model so the
            // clouds do not hide each other: the spread, not only the error bar.
            for (mi, m) in models.enumerated() {
                let factor = adjusted && m == .urnn ? 0.5 : 1.0
                let shift = (Double(mi) - Double(models.count - 1) / 2) * 0.18
                var cloud = SVGPlot.Series(
                    name: m.rawValue.uppercased() + " runs",
                    points: rows.filter { $0.model == m }.flatMap { r in
                        r.runsR2.map { SVGPlot.Point(x: Double(r.hidden) * factor + shift, y: $0.r2) }
                    },
                    color: color(m), marker: .circle, connect: false)
                cloud.markerRadius = 1.8
                cloud.opacity = 0.35
                cloud.inLegend = false
                p.series.append(cloud)
            }
            for m in models {
                let factor = adjusted && m == .urnn ? 0.5 : 1.0
                let points = rows.filter { $0.model == m }.compactMap { r -> SVGPlot.Point? in
                    guard let mean = r.testR2.mean else { return nil }
                    return SVGPlot.Point(x: Double(r.hidden) * factor, y: mean, yLow: r.testR2.ci95Low, yHigh: r.testR2.ci95High)
                }
                let name = m.rawValue.uppercased() + (adjusted && m == .urnn ? " (hidden / 2)" : "")
                p.series.append(SVGPlot.Series(name: name, points: points, color: color(m), marker: marker(m)))
            }
            if let opt = s.optimalBySNR[snr] {
                p.referenceLines.append(.init(y: opt, label: String(format: "optimal %.3f", opt)))
            }
            // R^2 <= 1; a badly failed run can be hugely negative, so the axis stops at -1.
            let lowest = (rows.compactMap(\.testR2.mean) + rows.flatMap { $0.runsR2.map(\.r2) }.filter(\.isFinite)).min() ?? 0
            let lo = max(-1, ((min(lowest, s.optimalBySNR[snr] ?? 1) - 0.02) * 10).rounded(.down) / 10)
            p.yRange = lo...1.0
            p.legend = .bottomRight
            return p
        }
        return SVGFigure(title: "Synthetic contractive teacher, SNR \(snrText) dB", panels: [panel(adjusted: false), panel(adjusted: true)], columns: 2)
    }

    /// Fixed colours and markers per model, so every figure reads the same (others: grey diamonds).
    static func color(_ m: ModelKind) -> String {
        [ModelKind.rnn: "#1f77b4", .urnn: "#d62728", .crnn: "#9467bd", .lstm: "#2ca02c"][m] ?? "#7f7f7f"
    }

    static func marker(_ m: ModelKind) -> SVGPlot.Marker {
        [ModelKind.rnn: SVGPlot.Marker.circle, .urnn: .square, .crnn: .diamond, .lstm: .triangle][m] ?? .diamond
    }
}
