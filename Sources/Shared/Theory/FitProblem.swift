/// Input-output data from a teacher RNN for fitting students: sequences start from h = 0.
///
/// Shapes (row-major): x [count, length, d], y [count, length, p].
public struct FitData: Sendable {
    public var count: Int
    public var length: Int
    public var d: Int
    public var p: Int
    public var x: [Double]
    public var y: [Double]
    /// sum over all (sequence, step, output) of (y - ybar_output)^2: the NMSE denominator.
    public var totalVariance: Double

    /// Runs `teacher` (from its h0) on `count` sequences of iid uniform inputs in [-1, 1]^d.
    public static func generate(teacher: RNNModel, count: Int, length: Int, rng: inout Xoshiro256) -> FitData {
        let d = teacher.inputCount, p = teacher.outputCount
        var x = [Double](repeating: 0, count: count * length * d)
        var y = [Double](repeating: 0, count: count * length * p)
        for s in 0..<count {
            let xs = (0..<(length * d)).map { _ in 2 * rng.uniform() - 1 }
            let ys = teacher.run(inputs: xs, steps: length).outputs
            for k in 0..<(length * d) { x[s * length * d + k] = xs[k] }
            for k in 0..<(length * p) { y[s * length * p + k] = ys[k] }
        }
        var mean = [Double](repeating: 0, count: p)
        for r in 0..<(count * length) { for j in 0..<p { mean[j] += y[r * p + j] } }
        for j in 0..<p { mean[j] /= Double(max(1, count * length)) }
        var v = 0.0
        for r in 0..<(count * length) { for j in 0..<p { let e = y[r * p + j] - mean[j]; v += e * e } }
        return FitData(count: count, length: length, d: d, p: p, x: x, y: y, totalVariance: v)
    }

    /// Normalized MSE of `model` on this data: sum (yhat - y)^2 / sum (y - ybar)^2 (= 1 - R^2).
    public func nmse(_ model: RNNModel) -> Double {
        var sse = 0.0
        let td = length * d, tp = length * p
        for s in 0..<count {
            let out = model.run(inputs: Array(x[(s * td)..<((s + 1) * td)]), steps: length).outputs
            for k in 0..<tp { let e = out[k] - y[s * tp + k]; sse += e * e }
        }
        return totalVariance > 0 ? sse / totalVariance : sse
    }
}

/// The teacher families of Theorems 2 and 3 (docs/THEORY.md explains the choice).
public enum TeacherFamily {
    /// n decoupled leaky rectifiers: W = rho I, F = gain I (d = n), b = 0, C = I (p = n), c = 0, h0 = 0.
    /// With inputs uniform in [-1, 1]^n each state is pushed up by positive inputs and driven to exactly 0
    /// by negative ones; between, it decays by rho per step. Input bound M = sqrt(n) (the cube's corner).
    public static func diagonal(n: Int, rho: Double, gain: Double = 1, activation: Activation = .relu) throws(TheoryError) -> RNNModel {
        try RNNModel(activation: activation, W: rho * Matrix.identity(n), F: gain * Matrix.identity(n),
                     b: [Double](repeating: 0, count: n), C: Matrix.identity(n), c: [Double](repeating: 0, count: n),
                     h0: nil, inputBound: Double(n).squareRoot())
    }
}
