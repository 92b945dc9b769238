import Foundation

/// One axis of a plot: the data range, its scale, the pixel span it maps to, and its ticks.
///
/// Mapping: linear  p = p0 + (v - lo) / (hi - lo) * (p1 - p0);
///          log10   p = p0 + (log10 v - log10 lo) / (log10 hi - log10 lo) * (p1 - p0).
/// On a log axis values <= 0 have no position (`position` returns nil).
struct SVGAxis {
    let scale: SVGPlot.Scale
    let lo: Double
    let hi: Double
    let ticks: [Double]

    /// Chooses a range and ticks that cover `values` (non-finite values, and on a log axis
    /// non-positive ones, are ignored). `fixed` overrides the range; `fixedTicks` the ticks.
    /// `pad` widens a linear range by that fraction of its span on each side (for x, so markers
    /// do not sit on the frame); otherwise a linear range is rounded out to whole tick steps.
    /// When every value is a whole number (hidden units, state counts) linear ticks are too.
    init(scale: SVGPlot.Scale, values: [Double], fixed: ClosedRange<Double>?, fixedTicks: [Double]?, pad: Double) {
        self.scale = scale
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        var lo: Double, hi: Double
        if let f = fixed, f.lowerBound.isFinite, f.upperBound.isFinite, f.lowerBound < f.upperBound,
           scale == .linear || f.lowerBound > 0 {
            lo = f.lowerBound; hi = f.upperBound
        } else {
            lo = usable.min() ?? (scale == .linear ? 0 : 0.1)
            hi = usable.max() ?? (scale == .linear ? 1 : 10)
            switch scale {
            case .linear:
                if lo == hi { let d = lo == 0 ? 1 : abs(lo) * 0.1; lo -= d; hi += d }
                if pad > 0 {
                    let d = (hi - lo) * pad; lo -= d; hi += d
                } else {
                    let step = SVGAxis.niceStep(span: hi - lo)
                    lo = (lo / step).rounded(.down) * step
                    hi = (hi / step).rounded(.up) * step
                }
            case .log10:
                lo = pow(10, log10(lo).rounded(.down))
                hi = pow(10, log10(hi).rounded(.up))
                if lo == hi { lo /= 10; hi *= 10 }
            }
        }
        self.lo = lo; self.hi = hi
        if let t = fixedTicks {
            ticks = t.filter { $0 >= lo && $0 <= hi && (scale == .linear || $0 > 0) }
        } else {
            let whole = !usable.isEmpty && usable.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 }
            ticks = scale == .linear ? SVGAxis.linearTicks(lo, hi, minStep: whole ? 1 : 0) : SVGAxis.logTicks(lo, hi)
        }
    }

    /// Fraction 0...1 of the way from `lo` to `hi`; nil where the scale has no position for v.
    func fraction(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        switch scale {
        case .linear: return (v - lo) / (hi - lo)
        case .log10:
            guard v > 0 else { return nil }
            return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        }
    }

    /// A step of 1, 2 or 5 times a power of ten giving about `target` intervals over `span`.
    static func niceStep(span: Double, target: Double = 5) -> Double {
        let raw = span / target
        let mag = pow(10, log10(raw).rounded(.down))
        let norm = raw / mag
        let m: Double = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10
        return m * mag
    }

    static func linearTicks(_ lo: Double, _ hi: Double, minStep: Double = 0) -> [Double] {
        let step = Swift.max(niceStep(span: hi - lo), minStep)
        var k = (lo / step).rounded(.up)
        var out: [Double] = []
        while k * step <= hi + step * 1e-9, out.count < 50 {
            let v = k * step
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return out
    }

    /// Decades (every few decades when there are many); 2 and 5 between them when the
    /// range spans at most two decades.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let k0 = Int(log10(lo).rounded(.down)), k1 = Int(log10(hi).rounded(.up))
        let every = Swift.max(1, (k1 - k0 + 7) / 8)
        var out: [Double] = []
        // Start on a multiple of `every` so labels read 1e-12, 1e-10, ... rather than odd exponents.
        var k = Int((Double(k0) / Double(every)).rounded(.down)) * every
        while k <= k1 {
            let d = pow(10, Double(k))
            for m in (k1 - k0 <= 2 ? [1.0, 2, 5] : [1.0]) where d * m >= lo * (1 - 1e-12) && d * m <= hi * (1 + 1e-12) {
                out.append(d * m)
            }
            k += every
        }
        return out
    }

    /// Tick label: fixed decimals matched to the tick spacing on a linear axis; on a log axis
    /// plain numbers between 0.001 and 10000, otherwise "1e-12" style.
    func label(_ v: Double) -> String {
        switch scale {
        case .linear:
            let step = ticks.count >= 2 ? abs(ticks[1] - ticks[0]) : abs(hi - lo) / 5
            let decimals = step > 0 ? Swift.max(0, Int((-log10(step)).rounded(.up))) : 2
            return String(format: "%.\(Swift.min(decimals, 10))f", v)
        case .log10:
            if v >= 0.001 && v < 10000 { return SVGText.number(v) }
            let e = Int(log10(v).rounded())
            let mant = v / pow(10, Double(e))
            return abs(mant - 1) < 1e-9 ? "1e\(e)" : "\(SVGText.number(mant))e\(e)"
        }
    }
}

/// Text helpers for SVG output.
enum SVGText {
    /// Escapes the five XML special characters.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A pixel coordinate with two decimals.
    static func px(_ v: Double) -> String { String(format: "%.2f", v) }

    /// A short human number: up to 6 significant digits, no trailing zeros.
    static func number(_ v: Double) -> String { String(format: "%.6g", v) }
}
