import Foundation

/// What Theorem 1's check found for one RNN, all computed in Double.
public struct Theorem1Certificate: Codable, Hashable, Sendable {
    public var n: Int
    public var steps: Int
    public var wNorm: Double
    public var inputBound: Double
    /// H, the bound on ||h(k)|| used for the bias.
    public var stateBound: Double
    /// ||W_u^T W_u - I||_2.
    public var orthogonalityError: Double
    /// max_k ||y_u(k) - y(k)||_inf / max_k ||y(k)||_inf.
    public var maxOutputRelError: Double
    /// max over k and extra states of |z_i(k)|; the construction promises exactly 0.
    public var maxExtraState: Double
    /// min over k and extra states of -(extra pre-activation): > 0 means ReLU had room to spare.
    public var biasMargin: Double
    /// Largest ||x(k)|| fed in.
    public var maxInputNorm: Double
    public var certified: Bool
    /// Why it is not certified (empty when certified).
    public var reasons: [String]

    public static let orthogonalityTolerance = 1e-12
    public static let outputTolerance = 1e-12

    public var text: String {
        func f(_ x: Double) -> String { x.formatted6 }
        var lines = [
            "Theorem 1 certificate: \(certified ? "CERTIFIED" : "NOT CERTIFIED")",
            "  RNN states n = \(n), URNN states 2n = \(2 * n), steps = \(steps)",
            "  ||W||_2 = \(f(wNorm)) (< 1), input bound M = \(f(inputBound)), max ||x(k)|| = \(f(maxInputNorm))",
            "  state bound H = \(f(stateBound))",
            "  ||W_u^T W_u - I||_2 = \(f(orthogonalityError))  (tolerance \(f(Self.orthogonalityTolerance)))",
            "  max relative output error = \(f(maxOutputRelError))  (tolerance \(f(Self.outputTolerance)))",
            "  max |extra state| = \(f(maxExtraState))  (must be exactly 0)",
            "  bias margin min(-extra pre-activation) = \(f(biasMargin))",
        ]
        for r in reasons { lines.append("  reason: \(r)") }
        return lines.joined(separator: "\n")
    }
}

public enum Theorem1 {
    /// A random contractive ReLU RNN: W = wNorm * G / ||G||_2, F ~ N(0, 1/d), b ~ N(0, 1),
    /// C ~ N(0, 1/n), c ~ N(0, 1), h0 = |N(0, 1)| (a reachable, non-negative state), all from `rng`.
    public static func randomRNN(n: Int, inputs d: Int, outputs p: Int, wNorm: Double, inputBound: Double,
                                 rng: inout Xoshiro256) throws(TheoryError) -> RNNModel {
        guard n >= 1, d >= 1, p >= 1 else { throw .invalidArgument("sizes must be >= 1 (n \(n), d \(d), p \(p))") }
        let g = Matrix.gaussian(rows: n, cols: n, rng: &rng)
        let gNorm = try DenseLinearAlgebra.spectralNorm(g)
        let w = (wNorm / gNorm) * g
        let f = Matrix.gaussian(rows: n, cols: d, scale: 1 / Double(d).squareRoot(), rng: &rng)
        let b = (0..<n).map { _ in rng.gaussian() }
        let c = Matrix.gaussian(rows: p, cols: n, scale: 1 / Double(n).squareRoot(), rng: &rng)
        let cb = (0..<p).map { _ in rng.gaussian() }
        let h0 = (0..<n).map { _ in abs(rng.gaussian()) }
        return try RNNModel(activation: .relu, W: w, F: f, b: b, C: c, c: cb, h0: h0, inputBound: inputBound)
    }

    /// `steps` inputs of dimension d with ||x(k)|| <= scale * M: a uniform direction and a radius
    /// uniform in the ball, except every 10th step sits on the sphere (the bound is reached).
    /// Sphere points are shrunk by 1e-12 so rounding cannot push them past the bound.
    public static func boundedInputs(steps: Int, d: Int, bound m: Double, scale: Double = 1, rng: inout Xoshiro256) -> [Double] {
        var x = [Double](repeating: 0, count: steps * d)
        for k in 0..<steps {
            var g = (0..<d).map { _ in rng.gaussian() }
            let norm = euclideanNorm(g)
            let u = rng.uniform()
            let radius = k % 10 == 9 ? 1 - 1e-12 : _theoryPow(u, 1 / Double(d))
            let s = norm > 0 ? scale * m * radius / norm : 0
            for j in 0..<d { g[j] *= s; x[k * d + j] = g[j] }
        }
        return x
    }

    /// Checks the construction on one input sequence. Never throws for a bad input: an input outside
    /// the bound, or any failed tolerance, makes `certified` false with the reason.
    public static func certify(rnn: RNNModel, dilation: UnitaryDilation, inputs: [Double], steps: Int) throws(TheoryError) -> Theorem1Certificate {
        let n = rnn.n, d = rnn.inputCount, p = rnn.outputCount
        let urnn = dilation.urnn
        let m = urnn.inputBound ?? 0
        var reasons: [String] = []
        let wu = urnn.W
        let ortho = try DenseLinearAlgebra.spectralNorm(wu.transposed * wu - Matrix.identity(2 * n))

        var maxInput = 0.0
        var firstOut: (Int, Double)?
        for k in 0..<steps {
            let norm = euclideanNorm(Array(inputs[(k * d)..<((k + 1) * d)]))
            maxInput = max(maxInput, norm)
            if norm > m && firstOut == nil { firstOut = (k + 1, norm) }
        }
        if let (k, norm) = firstOut { reasons.append(TheoryError.inputOutOfBound(step: k, norm: norm, bound: m).description) }
        if dilation.wNorm >= 1 { reasons.append("||W|| = \(dilation.wNorm) >= 1") }

        let y = rnn.run(inputs: inputs, steps: steps).outputs
        let tu = urnn.run(inputs: inputs, steps: steps, record: true)
        var scale = 0.0, diff = 0.0
        for k in 0..<(steps * p) { scale = max(scale, abs(y[k])); diff = max(diff, abs(y[k] - tu.outputs[k])) }
        let rel = scale > 0 ? diff / scale : diff
        var maxExtra = 0.0, margin = Double.infinity
        for k in 0..<steps {
            for i in n..<(2 * n) {
                maxExtra = max(maxExtra, abs(tu.states[k * 2 * n + i]))
                margin = min(margin, -tu.preactivations[k * 2 * n + i])
            }
        }
        if !(ortho <= Theorem1Certificate.orthogonalityTolerance) { reasons.append("W_u is not orthogonal to tolerance: ||W_u^T W_u - I|| = \(ortho)") }
        if !(rel <= Theorem1Certificate.outputTolerance) { reasons.append("outputs differ: max relative error \(rel)") }
        if maxExtra != 0 { reasons.append("extra states left zero: max |z| = \(maxExtra)") }
        return Theorem1Certificate(n: n, steps: steps, wNorm: dilation.wNorm, inputBound: m, stateBound: dilation.stateBound,
                                   orthogonalityError: ortho, maxOutputRelError: rel, maxExtraState: maxExtra,
                                   biasMargin: margin, maxInputNorm: maxInput, certified: reasons.isEmpty, reasons: reasons)
    }

    /// Scales random inputs by 2, 4, 8, ... times the bound until the extra states leave 0; returns the
    /// first such scale and the output error there, or nil if none up to 2^maxDoublings.
    /// Shows the bound is what makes the construction work, not a formality.
    public static func breakingScale(rnn: RNNModel, dilation: UnitaryDilation, steps: Int, seed: UInt64,
                                     maxDoublings: Int = 30) -> (scale: Double, relError: Double)? {
        let n = rnn.n, d = rnn.inputCount, p = rnn.outputCount
        let m = dilation.urnn.inputBound ?? 1
        for e in 1...maxDoublings {
            let scale = Double(1 << e)
            var rng = Xoshiro256(seed: seed, stream: "theorem1.break", index: UInt64(e))
            let x = boundedInputs(steps: steps, d: d, bound: m > 0 ? m : 1, scale: scale, rng: &rng)
            let tu = dilation.urnn.run(inputs: x, steps: steps, record: true)
            var extra = 0.0
            for k in 0..<steps { for i in n..<(2 * n) { extra = max(extra, tu.states[k * 2 * n + i]) } }
            if extra > 0 {
                let y = rnn.run(inputs: x, steps: steps).outputs
                var s = 0.0, diff = 0.0
                for k in 0..<(steps * p) { s = max(s, abs(y[k])); diff = max(diff, abs(y[k] - tu.outputs[k])) }
                return (scale, s > 0 ? diff / s : diff)
            }
        }
        return nil
    }
}

extension Double {
    /// Six significant digits, scientific when small or large; for certificates and tables.
    public var formatted6: String {
        if self == 0 { return "0" }
        if !isFinite { return "\(self)" }
        let a = abs(self)
        if a >= 1e-3 && a < 1e6 { return String(format: "%.6g", self) }
        return String(format: "%.5e", self)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@usableFromInline func _theoryPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
