import Foundation

// Descriptive statistics for report tables and error bars.
// Goals, in order: never a silent NaN (non-finite inputs are excluded and counted),
// then exactness on hand-checkable inputs, then speed (inputs are tens to thousands of values).

/// Summary of a sample of Doubles with non-finite values (NaN, +-inf) set aside.
///
/// - `count`: number of finite values used in every statistic below.
/// - `nonFinite`: number of values excluded because they were NaN or infinite.
/// - `mean` = sum(x) / count; nil when count == 0.
/// - `median`: middle value of the sorted finite values (mean of the two middle ones
///   for an even count); nil when count == 0.
/// - `standardDeviation`: the *sample* standard deviation
///   sqrt(sum (x - mean)^2 / (count - 1)); nil when count < 2.
/// - `ci95Low`, `ci95High`: the two-sided 95% Student-t confidence interval of the **mean**,
///   mean -+ t(0.975, count - 1) * sd / sqrt(count); nil when count < 2. This is an interval for
///   where the mean lies, not for where single runs lie (for that use `Statistics.quantile`
///   at 0.025 and 0.975).
/// - `q1`, `q3`: the 0.25 and 0.75 quantiles (`Statistics.quantile`, type 7); `q3 - q1` is the
///   interquartile range, the spread to read beside the median when a sample is skewed. nil when count == 0.
/// - `min`, `max`: of the finite values; nil when count == 0.
public struct SampleSummary: Codable, Hashable, Sendable {
    public var count: Int
    public var nonFinite: Int
    public var mean: Double?
    public var median: Double?
    public var q1: Double?
    public var q3: Double?
    public var standardDeviation: Double?
    public var ci95Low: Double?
    public var ci95High: Double?
    public var min: Double?
    public var max: Double?

    /// Summarises `values`, excluding non-finite entries (counted in `nonFinite`).
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        var finite: [Double] = []
        var excluded = 0
        for v in values {
            if v.isFinite { finite.append(v) } else { excluded += 1 }
        }
        finite.sort()
        count = finite.count
        nonFinite = excluded
        guard !finite.isEmpty else { return }
        let m = Statistics.mean(finite)
        mean = m
        median = Statistics.quantile(sorted: finite, 0.5)
        q1 = Statistics.quantile(sorted: finite, 0.25)
        q3 = Statistics.quantile(sorted: finite, 0.75)
        min = finite.first
        max = finite.last
        guard finite.count >= 2 else { return }
        let sd = Statistics.sampleStandardDeviation(finite, mean: m)
        standardDeviation = sd
        let half = Statistics.studentT975(degreesOfFreedom: finite.count - 1) * sd / Double(finite.count).squareRoot()
        ci95Low = m - half
        ci95High = m + half
    }
}

/// Stateless statistics helpers. All of them expect *finite* input;
/// `SampleSummary` is the NaN-safe entry point.
public enum Statistics {
    /// Arithmetic mean, summed with Kahan compensation. Precondition: non-empty.
    public static func mean(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "mean of an empty sample")
        var sum = 0.0, c = 0.0
        for x in xs {
            let y = x - c
            let t = sum + y
            c = (t - sum) - y
            sum = t
        }
        return sum / Double(xs.count)
    }

    /// Sample standard deviation sqrt(sum (x - mean)^2 / (n - 1)) (two-pass). Precondition: n >= 2.
    public static func sampleStandardDeviation(_ xs: [Double], mean m: Double? = nil) -> Double {
        precondition(xs.count >= 2, "sample standard deviation needs at least 2 values")
        let mu = m ?? mean(xs)
        var ss = 0.0
        for x in xs { ss += (x - mu) * (x - mu) }
        return (ss / Double(xs.count - 1)).squareRoot()
    }

    /// Quantile of sorted finite data by linear interpolation between order statistics
    /// (Hyndman-Fan type 7, the default of R and NumPy): h = (n - 1) p,
    /// q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). p in [0, 1]. Precondition: non-empty.
    public static func quantile(sorted xs: [Double], _ p: Double) -> Double {
        precondition(!xs.isEmpty, "quantile of an empty sample")
        precondition(p >= 0 && p <= 1, "quantile level must be in [0, 1]")
        let h = Double(xs.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = Swift.min(lo + 1, xs.count - 1)
        return xs[lo] + (h - Double(lo)) * (xs[hi] - xs[lo])
    }

    /// The 0.975 quantile of Student's t distribution with `df` degrees of freedom
    /// (the multiplier of a two-sided 95% interval). Exact table values (4 decimals) for
    /// df 1...30; above that the Cornish-Fisher expansion around z = 1.959964, whose error
    /// is below 1e-5 for df > 30. Precondition: df >= 1.
    public static func studentT975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "degrees of freedom must be >= 1")
        if df <= tTable975.count { return tTable975[df - 1] }
        let z = 1.959963984540054
        let n = Double(df)
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * n)
            + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n)
    }

    private static let tTable975: [Double] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ]
}
