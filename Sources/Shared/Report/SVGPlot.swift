import Foundation

/// A small dependency-free line/scatter plot that renders to an SVG string.
///
/// Several series (markers, optional connecting lines, optional vertical error bars),
/// dashed horizontal reference lines with labels, axis ticks and labels, a title,
/// a legend, and linear or log10 axes. Non-finite points (and non-positive ones on a
/// log axis) are skipped, never drawn at a made-up position.
///
/// ```swift
/// var plot = SVGPlot(title: "Theorem 2, n = 3", xLabel: "URNN states m", yLabel: "best fit error", yScale: .log10)
/// plot.series.append(.init(name: "best of 5 restarts", points: [.init(x: 3, y: 0.2), .init(x: 6, y: 1e-13)]))
/// plot.referenceLines.append(.init(y: 1e-12, label: "construction"))
/// let svg: String = plot.svg()          // a standalone <svg> document
/// ```
/// Several panels side by side: `SVGFigure(title:panels:columns:)`.
///
/// Each series is a `<g class="series" data-series="NAME">` element and each reference line a
/// `<g class="reference" data-label="LABEL">`, so tests and scripts can find them.
public struct SVGPlot: Sendable {
    public enum Scale: Sendable, Hashable { case linear, log10 }

    public enum Marker: String, Sendable, Hashable, CaseIterable {
        case circle, square, triangle, diamond, cross, plus, none
    }

    public enum LegendPosition: Sendable, Hashable { case topLeft, topRight, bottomLeft, bottomRight, hidden }

    /// One data point; `yLow`/`yHigh` (absolute values, not offsets) draw a vertical error bar.
    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public var yLow: Double?
        public var yHigh: Double?
        public init(x: Double, y: Double, yLow: Double? = nil, yHigh: Double? = nil) {
            self.x = x; self.y = y; self.yLow = yLow; self.yHigh = yHigh
        }
    }

    /// A named series. `color` is any SVG colour (nil: the palette colour for its index);
    /// `marker` nil: the marker for its index. `connect` draws a line through the points in
    /// the order given.
    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        public var color: String?
        public var marker: Marker?
        public var connect: Bool
        public var dashed: Bool
        /// Marker radius in pixels (4 by default; small dots for a cloud of single runs).
        public var markerRadius: Double = 4
        /// Fill and stroke opacity of the whole series, in (0, 1].
        public var opacity: Double = 1
        /// False keeps the series out of the legend (e.g. the single runs behind a mean curve).
        public var inLegend: Bool = true
        public init(name: String, points: [Point], color: String? = nil, marker: Marker? = nil,
                    connect: Bool = true, dashed: Bool = false) {
            self.name = name; self.points = points; self.color = color; self.marker = marker
            self.connect = connect; self.dashed = dashed
        }
    }

    /// A dashed horizontal line across the plot at `y`, labelled at its right end.
    public struct ReferenceLine: Sendable {
        public var y: Double
        public var label: String
        public var color: String
        public init(y: Double, label: String, color: String = "#444444") {
            self.y = y; self.label = label; self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var referenceLines: [ReferenceLine] = []
    public var xScale: Scale = .linear
    public var yScale: Scale
    /// Fixed axis ranges; nil chooses them from the data (and reference lines, for y).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// Fixed tick positions; nil chooses 1-2-5 steps (linear) or decades (log).
    public var xTicks: [Double]?
    public var yTicks: [Double]?
    /// Size in pixels of this panel.
    public var width: Double = 520
    public var height: Double = 380
    public var legend: LegendPosition = .bottomRight

    public init(title: String = "", xLabel: String = "", yLabel: String = "", yScale: Scale = .linear) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.yScale = yScale
    }

    /// Colours cycled through for series without a colour.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    /// Markers cycled through for series without a marker.
    public static let markerCycle: [Marker] = [.circle, .square, .triangle, .diamond, .cross, .plus]

    /// This plot as a standalone SVG document.
    public func svg() -> String {
        SVGFigure(panels: [self], columns: 1).svg()
    }

    // MARK: Rendering

    private static let margin = (left: 72.0, right: 18.0, top: 34.0, bottom: 52.0)

    /// The panel's elements, drawn in a box from (0, 0) to (width, height).
    /// `id` makes the clip-path id unique within a document.
    func body(id: String) -> String {
        let m = Self.margin
        let px0 = m.left, px1 = width - m.right, py0 = m.top, py1 = height - m.bottom
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for p in s.points where p.x.isFinite && p.y.isFinite {
                xs.append(p.x); ys.append(p.y)
                if let l = p.yLow { ys.append(l) }
                if let h = p.yHigh { ys.append(h) }
            }
        }
        ys += referenceLines.map(\.y)
        let xAxis = SVGAxis(scale: xScale, values: xs, fixed: xRange, fixedTicks: xTicks, pad: xScale == .linear ? 0.05 : 0)
        let yAxis = SVGAxis(scale: yScale, values: ys, fixed: yRange, fixedTicks: yTicks, pad: 0)
        func X(_ v: Double) -> Double? { xAxis.fraction(v).map { px0 + $0 * (px1 - px0) } }
        func Y(_ v: Double) -> Double? { yAxis.fraction(v).map { py1 - $0 * (py1 - py0) } }
        let f = SVGText.px, esc = SVGText.escape

        var o = ""
        o += "<defs><clipPath id=\"\(id)\"><rect x=\"\(f(px0))\" y=\"\(f(py0))\" width=\"\(f(px1 - px0))\" height=\"\(f(py1 - py0))\"/></clipPath></defs>\n"
        o += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
        if !title.isEmpty {
            o += "<text class=\"title\" x=\"\(f((px0 + px1) / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(esc(title))</text>\n"
        }
        // Grid, ticks and tick labels.
        o += "<g class=\"axes\" font-size=\"11\" fill=\"#222\">\n"
        for t in xAxis.ticks { if let x = X(t) {
            o += "<line x1=\"\(f(x))\" y1=\"\(f(py0))\" x2=\"\(f(x))\" y2=\"\(f(py1))\" stroke=\"#e6e6e6\"/>"
            o += "<line x1=\"\(f(x))\" y1=\"\(f(py1))\" x2=\"\(f(x))\" y2=\"\(f(py1 + 5))\" stroke=\"#222\"/>"
            o += "<text x=\"\(f(x))\" y=\"\(f(py1 + 18))\" text-anchor=\"middle\">\(esc(xAxis.label(t)))</text>\n"
        } }
        for t in yAxis.ticks { if let y = Y(t) {
            o += "<line x1=\"\(f(px0))\" y1=\"\(f(y))\" x2=\"\(f(px1))\" y2=\"\(f(y))\" stroke=\"#e6e6e6\"/>"
            o += "<line x1=\"\(f(px0 - 5))\" y1=\"\(f(y))\" x2=\"\(f(px0))\" y2=\"\(f(y))\" stroke=\"#222\"/>"
            o += "<text x=\"\(f(px0 - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(esc(yAxis.label(t)))</text>\n"
        } }
        o += "<rect x=\"\(f(px0))\" y=\"\(f(py0))\" width=\"\(f(px1 - px0))\" height=\"\(f(py1 - py0))\" fill=\"none\" stroke=\"#222\"/>\n"
        o += "<text class=\"xlabel\" x=\"\(f((px0 + px1) / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"13\">\(esc(xLabel))</text>\n"
        o += "<text class=\"ylabel\" transform=\"translate(16 \(f((py0 + py1) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(esc(yLabel))</text>\n"
        o += "</g>\n"

        // Reference lines.
        for r in referenceLines { if let y = Y(r.y), y >= py0 - 0.5, y <= py1 + 0.5 {
            o += "<g class=\"reference\" data-label=\"\(esc(r.label))\" stroke=\"\(esc(r.color))\">"
            o += "<line x1=\"\(f(px0))\" y1=\"\(f(y))\" x2=\"\(f(px1))\" y2=\"\(f(y))\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
            // Label above the line, or below it when the line runs close to the top of the frame.
            let labelY = y - py0 < 16 ? y + 13 : y - 4
            o += "<text x=\"\(f(px1 - 4))\" y=\"\(f(labelY))\" text-anchor=\"end\" font-size=\"11\" stroke=\"none\" fill=\"\(esc(r.color))\">\(esc(r.label))</text></g>\n"
        } }

        // Series.
        o += "<g clip-path=\"url(#\(id))\">\n"
        for (i, s) in series.enumerated() {
            let color = esc(s.color ?? Self.palette[i % Self.palette.count])
            let marker = s.marker ?? Self.markerCycle[i % Self.markerCycle.count]
            let opacity = s.opacity < 1 ? " opacity=\"\(f(max(0, s.opacity)))\"" : ""
            o += "<g class=\"series\" data-series=\"\(esc(s.name))\" stroke=\"\(color)\" fill=\"\(color)\"\(opacity)>\n"
            let placed = s.points.compactMap { p -> (Double, Double, Point)? in
                guard let x = X(p.x), let y = Y(p.y) else { return nil }
                return (x, y, p)
            }
            if s.connect, placed.count >= 2 {
                let pts = placed.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                o += "<polyline points=\"\(pts)\" fill=\"none\" stroke-width=\"1.6\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>\n"
            }
            for (x, y, p) in placed {
                let lowPx = p.yLow.flatMap { Y($0) } ?? (p.yLow != nil ? py1 : nil)
                let highPx = p.yHigh.flatMap { Y($0) }
                if lowPx != nil || highPx != nil {
                    let a = lowPx ?? y, b = highPx ?? y
                    o += "<path class=\"errorbar\" d=\"M\(f(x)) \(f(a))V\(f(b))M\(f(x - 4)) \(f(a))H\(f(x + 4))M\(f(x - 4)) \(f(b))H\(f(x + 4))\" fill=\"none\" stroke-width=\"1.2\"/>"
                }
                o += Self.markerPath(marker, x: x, y: y, r: s.markerRadius) + "\n"
            }
            o += "</g>\n"
        }
        o += "</g>\n"
        o += legendBox(px0: px0, px1: px1, py0: py0, py1: py1)
        return o
    }

    /// An SVG element drawing `marker` centred at (x, y), about 2r px across.
    static func markerPath(_ marker: Marker, x: Double, y: Double, r: Double = 4) -> String {
        let f = SVGText.px
        switch marker {
        case .circle: return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\"/>"
        case .square: return "<rect x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\"/>"
        case .triangle: return "<path d=\"M\(f(x)) \(f(y - r - 1))L\(f(x + r + 0.5)) \(f(y + r - 0.5))L\(f(x - r - 0.5)) \(f(y + r - 0.5))Z\"/>"
        case .diamond: return "<path d=\"M\(f(x)) \(f(y - r - 1))L\(f(x + r + 1)) \(f(y))L\(f(x)) \(f(y + r + 1))L\(f(x - r - 1)) \(f(y))Z\"/>"
        case .cross: return "<path d=\"M\(f(x - r)) \(f(y - r))L\(f(x + r)) \(f(y + r))M\(f(x - r)) \(f(y + r))L\(f(x + r)) \(f(y - r))\" fill=\"none\" stroke-width=\"2\"/>"
        case .plus: return "<path d=\"M\(f(x - r - 1)) \(f(y))H\(f(x + r + 1))M\(f(x)) \(f(y - r - 1))V\(f(y + r + 1))\" fill=\"none\" stroke-width=\"2\"/>"
        case .none: return ""
        }
    }

    private func legendBox(px0: Double, px1: Double, py0: Double, py1: Double) -> String {
        let series = self.series.filter(\.inLegend)
        guard legend != .hidden, !series.isEmpty else { return "" }
        let f = SVGText.px, esc = SVGText.escape
        let rowH = 17.0
        let longest = series.map(\.name.count).max() ?? 0
        let w = 44 + 6.6 * Double(longest), h = rowH * Double(series.count) + 8
        let left = legend == .topLeft || legend == .bottomLeft
        let top = legend == .topLeft || legend == .topRight
        let bx = left ? px0 + 8 : px1 - 8 - w
        let by = top ? py0 + 8 : py1 - 8 - h
        var o = "<g class=\"legend\" font-size=\"12\">"
        o += "<rect x=\"\(f(bx))\" y=\"\(f(by))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n"
        // Colours and markers by the series' index among all series, as the plot drew them.
        for (row, (i, s)) in self.series.enumerated().filter({ $0.element.inLegend }).enumerated() {
            let color = esc(s.color ?? Self.palette[i % Self.palette.count])
            let marker = s.marker ?? Self.markerCycle[i % Self.markerCycle.count]
            let cy = by + 4 + rowH * (Double(row) + 0.5)
            o += "<g stroke=\"\(color)\" fill=\"\(color)\">"
            if s.connect {
                o += "<line x1=\"\(f(bx + 6))\" y1=\"\(f(cy))\" x2=\"\(f(bx + 30))\" y2=\"\(f(cy))\" stroke-width=\"1.6\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            }
            o += Self.markerPath(marker, x: bx + 18, y: cy)
            o += "</g><text x=\"\(f(bx + 36))\" y=\"\(f(cy + 4))\" fill=\"#222\">\(esc(s.name))</text>\n"
        }
        return o + "</g>\n"
    }
}

/// Several `SVGPlot` panels laid out in a grid (row by row) under an optional title.
public struct SVGFigure: Sendable {
    public var title: String
    public var panels: [SVGPlot]
    public var columns: Int

    public init(title: String = "", panels: [SVGPlot], columns: Int? = nil) {
        self.title = title; self.panels = panels; self.columns = max(1, columns ?? panels.count)
    }

    /// A standalone SVG document (with XML declaration) holding every panel.
    public func svg() -> String {
        let cellW = panels.map(\.width).max() ?? 520, cellH = panels.map(\.height).max() ?? 380
        let rows = (panels.count + columns - 1) / columns
        let top = title.isEmpty ? 0.0 : 32.0
        let w = cellW * Double(min(columns, max(panels.count, 1))), h = top + cellH * Double(max(rows, 1))
        let f = SVGText.px
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" viewBox=\"0 0 \(f(w)) \(f(h))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        o += "<rect x=\"0\" y=\"0\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"white\"/>\n"
        if !title.isEmpty {
            o += "<text class=\"figure-title\" x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">\(SVGText.escape(title))</text>\n"
        }
        for (i, p) in panels.enumerated() {
            let x = cellW * Double(i % columns), y = top + cellH * Double(i / columns)
            o += "<g class=\"panel\" transform=\"translate(\(f(x)) \(f(y)))\">\n"
            o += p.body(id: "clip\(i)")
            o += "</g>\n"
        }
        return o + "</svg>\n"
    }
}
