import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import Shared

@Suite struct SVGPlotTests {
    func samplePlot(yScale: SVGPlot.Scale = .linear) -> SVGPlot {
        var plot = SVGPlot(title: "R^2 <vs> hidden & \"size\"", xLabel: "hidden units", yLabel: "test R^2", yScale: yScale)
        plot.series.append(.init(name: "rnn", points: [
            .init(x: 2, y: 0.5, yLow: 0.4, yHigh: 0.6), .init(x: 4, y: 0.8, yLow: 0.75, yHigh: 0.85),
            .init(x: 6, y: .nan),
        ]))
        plot.series.append(.init(name: "urnn", points: [.init(x: 2, y: 0.3), .init(x: 4, y: 0.6)], marker: .square))
        plot.referenceLines.append(.init(y: 0.99, label: "optimal"))
        return plot
    }

    @Test func outputIsWellFormedXMLWithEverySeries() throws {
        let svg = samplePlot().svg()
        let (ok, c, err) = XMLCollector.parse(svg)
        #expect(ok, "SVG did not parse: \(err)")
        #expect(c.elements.first?.name == "svg")
        let series = c.elements.filter { $0.attributes["class"] == "series" }.compactMap { $0.attributes["data-series"] }
        #expect(series == ["rnn", "urnn"])
        let refs = c.elements.filter { $0.attributes["class"] == "reference" }.compactMap { $0.attributes["data-label"] }
        #expect(refs == ["optimal"])
        // Special characters in the title are escaped and survive the round trip.
        #expect(c.text.contains("R^2 <vs> hidden & \"size\""))
        #expect(c.text.contains("hidden units"))
        #expect(c.text.contains("optimal"))
        // Two error bars (the third rnn point is NaN and skipped), 2 + 2 data markers + 2 legend markers.
        #expect(c.elements.filter { $0.attributes["class"] == "errorbar" }.count == 2)
        #expect(c.elements.filter { $0.name == "circle" }.count == 3)
        #expect(c.elements.filter { $0.name == "rect" && $0.attributes["width"] == "8.00" }.count == 3)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test func linearTicksAreNiceAndCoverTheData() {
        let axis = SVGAxis(scale: .linear, values: [0.31, 0.99], fixed: nil, fixedTicks: nil, pad: 0)
        #expect(axis.lo <= 0.31 && axis.hi >= 0.99)
        #expect(axis.ticks.count >= 4 && axis.ticks.count <= 11)
        let step = axis.ticks[1] - axis.ticks[0]
        #expect(abs(step - 0.1) < 1e-12 || abs(step - 0.2) < 1e-12)
        #expect(axis.label(0.5) == "0.5")
        let ints = SVGAxis(scale: .linear, values: [2, 14], fixed: nil, fixedTicks: nil, pad: 0)
        #expect(ints.ticks.contains(2) && ints.ticks.contains(14))
        #expect(ints.label(8) == "8")
        // Whole-number data over a short range gets whole-number ticks, not 3.5.
        let few = SVGAxis(scale: .linear, values: [3, 4, 5, 6], fixed: nil, fixedTicks: nil, pad: 0.05)
        #expect(few.ticks == [3, 4, 5, 6])
        #expect(few.label(4) == "4")
    }

    @Test func logAxisUsesDecadesAndSkipsNonPositive() throws {
        let axis = SVGAxis(scale: .log10, values: [3e-13, 0.2, 0, -1], fixed: nil, fixedTicks: nil, pad: 0)
        #expect(axis.lo == 1e-13)
        #expect(abs(axis.hi - 1) < 1e-15)
        #expect(axis.ticks.allSatisfy { $0 > 0 })
        #expect(axis.label(1e-12) == "1e-12")
        #expect(axis.fraction(0) == nil)
        #expect(abs(axis.fraction(1e-13)!) < 1e-12)

        var plot = SVGPlot(title: "error vs m", xLabel: "m", yLabel: "error", yScale: .log10)
        plot.series.append(.init(name: "best", points: [.init(x: 1, y: 0.2), .init(x: 2, y: 0), .init(x: 3, y: 1e-13)]))
        plot.referenceLines.append(.init(y: 1e-12, label: "construction"))
        let (ok, c, err) = XMLCollector.parse(plot.svg())
        #expect(ok, "SVG did not parse: \(err)")
        // The zero point has no place on a log axis: 2 data markers + 1 legend marker.
        #expect(c.elements.filter { $0.name == "circle" }.count == 3)
        #expect(c.text.contains("1e-12"))
    }

    @Test func figureLaysOutPanels() {
        var second = samplePlot()
        second.title = "adjusted"
        let fig = SVGFigure(title: "Figure 2", panels: [samplePlot(), second], columns: 2)
        let (ok, c, _) = XMLCollector.parse(fig.svg())
        #expect(ok)
        #expect(c.elements.filter { $0.attributes["class"] == "panel" }.count == 2)
        let clipIDs = c.elements.filter { $0.name == "clipPath" }.compactMap { $0.attributes["id"] }
        #expect(Set(clipIDs).count == 2)
        #expect(c.elements.first?.attributes["width"] == "1040.00")
    }

    @Test func emptyPlotStillRenders() {
        let (ok, _, _) = XMLCollector.parse(SVGPlot(title: "nothing").svg())
        #expect(ok)
        let (ok2, _, _) = XMLCollector.parse(SVGPlot(yScale: .log10).svg())
        #expect(ok2)
    }
}
