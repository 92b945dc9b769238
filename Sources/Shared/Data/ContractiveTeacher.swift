// The synthetic teacher of the paper's Figures 2 and 3: a contractive ReLU RNN
//   h(k) = relu(W h(k-1) + F x(k) + b),  y0(k) = C h(k) + c,  h(0) = 0,
// with F, C, b, c iid N(0, 1) and W = I - eps A^T A / ||A||_2^2 (A 4x4 iid N(0, 1)),
// so W is symmetric with eigenvalues in [1 - eps, 1): slow, long memory, ||W|| < 1.
// `normalizeA = false` gives the authors' script's W = I - eps A^T A.
// Everything in Double.

public struct ContractiveTeacher: Sendable, Equatable {
    public var hidden: Int, inputs: Int, outputs: Int
    /// Row-major [n, n], [n, p], [n], [q, n], [q].
    public var W: [Double], F: [Double], b: [Double], C: [Double], c: [Double]

    /// Draws a teacher from `rng` (order: A, F, b, C, c).
    public static func draw(inputs p: Int, hidden n: Int, outputs q: Int, eps: Double, normalizeA: Bool,
                            rng: inout Xoshiro256) throws -> ContractiveTeacher {
        let A = (0..<(n * n)).map { _ in rng.gaussian() }
        let F = (0..<(n * p)).map { _ in rng.gaussian() }
        let b = (0..<n).map { _ in rng.gaussian() }
        let C = (0..<(q * n)).map { _ in rng.gaussian() }
        let c = (0..<q).map { _ in rng.gaussian() }
        let a2 = normalizeA ? pow2(try MatrixProjection.spectralNorm(A, rows: n, cols: n)) : 1
        var W = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var ata = 0.0
                for k in 0..<n { ata += A[k * n + i] * A[k * n + j] }
                W[i * n + j] = (i == j ? 1 : 0) - eps * ata / a2
            }
        }
        return ContractiveTeacher(hidden: n, inputs: p, outputs: q, W: W, F: F, b: b, C: C, c: c)
    }

    /// Runs `count` sequences x [count, T, p] from h(0) = 0. Adds to `active[i]` the number of
    /// (sequence, step) with h_i > `threshold`; writes y0 [count, T, q] if `y0` is non-nil.
    public func simulate(x: UnsafePointer<Double>, count: Int, steps T: Int, threshold: Double = 1e-3,
                         active: inout [Int], y0: UnsafeMutablePointer<Double>?) {
        let n = hidden, p = inputs, q = outputs
        var state = [Double](repeating: 0, count: 2 * n)
        var counts = [Int](repeating: 0, count: n)
        W.withUnsafeBufferPointer { W in F.withUnsafeBufferPointer { F in C.withUnsafeBufferPointer { C in
        b.withUnsafeBufferPointer { b in c.withUnsafeBufferPointer { c in
        state.withUnsafeMutableBufferPointer { st in counts.withUnsafeMutableBufferPointer { act in
            let h = st.baseAddress!, a = st.baseAddress! + n
            for s in 0..<count {
                for i in 0..<n { h[i] = 0 }
                for t in 0..<T {
                    let xt = x + (s * T + t) * p
                    for i in 0..<n {
                        var v = b[i]
                        for k in 0..<p { v += F[i * p + k] * xt[k] }
                        for j in 0..<n { v += W[i * n + j] * h[j] }
                        a[i] = v
                    }
                    for i in 0..<n {
                        h[i] = a[i] > 0 ? a[i] : 0
                        if h[i] > threshold { act[i] += 1 }
                    }
                    if let y0 {
                        for o in 0..<q {
                            var v = c[o]
                            for j in 0..<n { v += C[o * n + j] * h[j] }
                            y0[(s * T + t) * q + o] = v
                        }
                    }
                }
            }
        } }
        } }
        } } }
        for i in 0..<n { active[i] += counts[i] }
    }

    /// Fraction of (sequence, step) with h_i > 1e-3, per unit.
    public func activeFractions(x: [Double], count: Int, steps: Int) -> [Double] {
        var active = [Int](repeating: 0, count: hidden)
        x.withUnsafeBufferPointer { simulate(x: $0.baseAddress!, count: count, steps: steps, active: &active, y0: nil) }
        return active.map { Double($0) / Double(count * steps) }
    }

    /// Bias calibration (the authors' procedure): `rounds` times,
    /// b_i <- b_i - rate * (frac_i - target), frac_i measured on the calibration inputs x [count, T, p].
    public mutating func calibrateBias(x: [Double], count: Int, steps: Int, rounds: Int = 100,
                                       rate: Double = 0.1, target: Double = 0.6) {
        for _ in 0..<rounds {
            let frac = activeFractions(x: x, count: count, steps: steps)
            for i in 0..<hidden { b[i] -= rate * (frac[i] - target) }
        }
    }

    /// ||W||_2.
    public func wNorm() throws -> Double { try MatrixProjection.spectralNorm(W, rows: hidden, cols: hidden) }
}

@inline(__always) private func pow2(_ x: Double) -> Double { x * x }
