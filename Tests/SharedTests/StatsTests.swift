import Foundation
import Testing
@testable import Shared

@Suite struct StatsTests {
    func close(_ a: Double?, _ b: Double, tol: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tol * max(1, abs(b))
    }

    @Test func handComputedSummary() {
        // x = 1, 2, 3, 4: mean 2.5, median 2.5, sd = sqrt(5/3), t(0.975, 3) = 3.1824.
        let s = SampleSummary([4, 1, 3, 2])
        #expect(s.count == 4)
        #expect(s.nonFinite == 0)
        #expect(close(s.mean, 2.5))
        #expect(close(s.median, 2.5))
        #expect(close(s.standardDeviation, (5.0 / 3).squareRoot()))
        let half = 3.1824 * (5.0 / 3).squareRoot() / 2
        #expect(close(s.ci95Low, 2.5 - half))
        #expect(close(s.ci95High, 2.5 + half))
        #expect(s.min == 1 && s.max == 4)
    }

    @Test func oddCountMedianAndSkew() {
        // 1, 2, 10: mean 13/3, median 2, sd = sqrt(((1-13/3)^2 + (2-13/3)^2 + (10-13/3)^2) / 2) = sqrt((100/9 + 49/9 + 289/9) / 2) = sqrt(73/3).
        let s = SampleSummary([10, 1, 2])
        #expect(close(s.mean, 13.0 / 3))
        #expect(close(s.median, 2))
        #expect(close(s.standardDeviation, (73.0 / 3).squareRoot()))
        // Type 7 quartiles of 1, 2, 10: h = 0.5 -> 1.5, h = 1.5 -> 2 + 0.5 * 8 = 6.
        #expect(close(s.q1, 1.5) && close(s.q3, 6))
    }

    @Test func quartilesMatchNumPy() {
        // numpy.quantile([4, 1, 3, 2, 8, 5], [0.25, 0.75]) = [2.25, 4.75].
        let s = SampleSummary([4, 1, 3, 2, 8, 5])
        #expect(close(s.q1, 2.25) && close(s.q3, 4.75))
        #expect(SampleSummary([Double]()).q1 == nil)
        #expect(SampleSummary([7]).q1 == 7 && SampleSummary([7]).q3 == 7)
    }

    @Test func nonFiniteValuesAreExcludedAndCounted() {
        let s = SampleSummary([1, .nan, 2, .infinity, 3, -.infinity, 4])
        #expect(s.count == 4)
        #expect(s.nonFinite == 3)
        #expect(close(s.mean, 2.5))
        #expect(s.mean!.isFinite)
        #expect(close(s.standardDeviation, (5.0 / 3).squareRoot()))
    }

    @Test func degenerateSamples() {
        let empty = SampleSummary([Double]())
        #expect(empty.count == 0 && empty.mean == nil && empty.median == nil && empty.standardDeviation == nil)
        let allNaN = SampleSummary([.nan, .nan])
        #expect(allNaN.count == 0 && allNaN.nonFinite == 2 && allNaN.mean == nil)
        let one = SampleSummary([5])
        #expect(one.mean == 5 && one.median == 5)
        #expect(one.standardDeviation == nil && one.ci95Low == nil && one.ci95High == nil)
        let same = SampleSummary([0.7, 0.7, 0.7])
        #expect(close(same.mean, 0.7, tol: 1e-15))
        #expect((same.standardDeviation ?? 1) < 1e-15)
        #expect(close(same.ci95Low, 0.7, tol: 1e-14) && close(same.ci95High, 0.7, tol: 1e-14))
    }

    @Test func quantilesAreTypeSeven() {
        let x: [Double] = [1, 2, 3, 4]
        #expect(Statistics.quantile(sorted: x, 0) == 1)
        #expect(Statistics.quantile(sorted: x, 1) == 4)
        #expect(close(Statistics.quantile(sorted: x, 0.25), 1.75))
        #expect(close(Statistics.quantile(sorted: x, 0.975), 3.925))
        #expect(Statistics.quantile(sorted: [7], 0.3) == 7)
    }

    @Test func studentTQuantiles() {
        // Reference values of t(0.975, df).
        #expect(close(Statistics.studentT975(degreesOfFreedom: 1), 12.7062, tol: 1e-4))
        #expect(close(Statistics.studentT975(degreesOfFreedom: 29), 2.0452, tol: 1e-4))
        #expect(close(Statistics.studentT975(degreesOfFreedom: 31), 2.039513, tol: 1e-5))
        #expect(close(Statistics.studentT975(degreesOfFreedom: 60), 2.000298, tol: 1e-5))
        #expect(close(Statistics.studentT975(degreesOfFreedom: 120), 1.979930, tol: 1e-5))
        #expect(close(Statistics.studentT975(degreesOfFreedom: 100_000), 1.959985, tol: 1e-5))
    }

    @Test func meanIsCompensated() {
        // 1e8 followed by many 0.1's: naive summation drifts, Kahan does not.
        let xs = [1e8] + Array(repeating: 0.1, count: 10_000)
        #expect(close(Statistics.mean(xs), (1e8 + 1000) / 10_001, tol: 1e-14))
    }
}

@Suite struct TextTableTests {
    @Test func csvQuotesOnlyWhatNeedsIt() {
        var t = TextTable(columns: ["name", "value"])
        t.rows = [["plain", "1"], ["a,b", "say \"hi\""], ["short"], ["x", "y", "dropped"]]
        #expect(t.csv() == "name,value\nplain,1\n\"a,b\",\"say \"\"hi\"\"\"\nshort,\nx,y\n")
    }

    @Test func markdownAlignsAndEscapes() {
        let t = TextTable(columns: ["model", "R²", "note"], alignments: [.left, .right, .center],
                          rows: [["rnn", "0.9", "a|b"], ["urnn", "0.8", "two\nlines"]])
        #expect(t.markdown() == """
        | model | R² | note |
        |---|---:|:---:|
        | rnn | 0.9 | a\\|b |
        | urnn | 0.8 | two lines |

        """)
    }
}
