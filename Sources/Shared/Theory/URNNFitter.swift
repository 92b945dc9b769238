// A small full-batch Double fitter for URNN students, used by Theorems 2 and 3.
//
// Why separate from the main training core (Float32, minibatch, long sequences): the theorems ask
// whether a fit can reach an *exact* map (errors near 1e-25 vs 1e-3), which needs Double precision;
// the problems are tiny (m <= 32, 64 sequences of 16 steps), so full-batch gradients are cheap and
// make each run a deterministic function of its seed. Goals: correctness, determinism, then speed.

/// Settings of one fit.
public struct FitConfig: Sendable {
    public var iterations: Int
    /// Adam step size, decayed geometrically from `learningRate` to `finalLearningRate`.
    public var learningRate: Double = 0.01
    public var finalLearningRate: Double = 1e-4
    public init(iterations: Int) { self.iterations = iterations }
}

/// The result of one fit: the parameters with the lowest training NMSE seen, and their errors.
public struct FitResult: Sendable {
    public var model: RNNModel
    public var trainError: Double
    public var testError: Double
}

/// Fits h(k) = phi(U h(k-1) + F x(k) + b), y(k) = C h(k) + c with U orthogonal, h(0) = 0,
/// by full-batch BPTT on the NMSE, Adam, and U <- polar factor of U after every step.
///
/// Parameters live in one flat buffer theta = [U (m*m) | F (m*d) | b (m) | C (p*m) | c (p)],
/// gradients and Adam moments in buffers of the same layout.
public enum URNNFitter {
    struct Layout {
        let m, d, p: Int
        var u: Int { 0 }
        var f: Int { m * m }
        var b: Int { f + m * d }
        var c: Int { b + m }
        var cb: Int { c + p * m }
        var count: Int { cb + p }
    }

    static func flatten(_ r: RNNModel) -> [Double] { r.W.data + r.F.data + r.b + r.C.data + r.c }

    static func unflatten(_ t: [Double], _ l: Layout, activation: Activation) -> RNNModel {
        try! RNNModel(activation: activation, W: Matrix(rows: l.m, cols: l.m, data: Array(t[l.u..<l.f])),
                      F: Matrix(rows: l.m, cols: l.d, data: Array(t[l.f..<l.b])), b: Array(t[l.b..<l.c]),
                      C: Matrix(rows: l.p, cols: l.m, data: Array(t[l.c..<l.cb])), c: Array(t[l.cb..<l.count]))
    }

    /// A random student: U = polar(G), F ~ N(0, 1/d), b ~ N(0, 0.01), C ~ N(0, 1/m), c = 0.
    public static func randomStudent(m: Int, d: Int, p: Int, activation: Activation, rng: inout Xoshiro256) throws(TheoryError) -> RNNModel {
        let u = try DenseLinearAlgebra.polarFactor(Matrix.gaussian(rows: m, cols: m, rng: &rng))
        return try RNNModel(activation: activation, W: u, F: Matrix.gaussian(rows: m, cols: d, scale: 1 / Double(d).squareRoot(), rng: &rng),
                            b: (0..<m).map { _ in 0.1 * rng.gaussian() },
                            C: Matrix.gaussian(rows: p, cols: m, scale: 1 / Double(m).squareRoot(), rng: &rng),
                            c: [Double](repeating: 0, count: p))
    }

    /// Full-batch NMSE and its gradient with respect to theta (written into `grad`).
    static func lossAndGradient(_ theta: [Double], _ grad: inout [Double], _ l: Layout, _ act: Activation, _ data: FitData) -> Double {
        let m = l.m, d = l.d, p = l.p, steps = data.length
        for k in 0..<grad.count { grad[k] = 0 }
        var h = [Double](repeating: 0, count: (steps + 1) * m)   // h[k] for k = 0...T (h[0] = 0)
        var a = [Double](repeating: 0, count: steps * m)         // pre-activations a[k], k = 1...T
        var dy = [Double](repeating: 0, count: steps * p)
        var dh = [Double](repeating: 0, count: m), da = [Double](repeating: 0, count: m)
        let scale = data.totalVariance > 0 ? 2 / data.totalVariance : 2
        var sse = 0.0
        theta.withUnsafeBufferPointer { t in
        grad.withUnsafeMutableBufferPointer { g in
        data.x.withUnsafeBufferPointer { xs in
        data.y.withUnsafeBufferPointer { ys in
        h.withUnsafeMutableBufferPointer { h in
        a.withUnsafeMutableBufferPointer { a in
        dy.withUnsafeMutableBufferPointer { dy in
        dh.withUnsafeMutableBufferPointer { dh in
        da.withUnsafeMutableBufferPointer { da in
            for s in 0..<data.count {
                let x = xs.baseAddress! + s * steps * d, y = ys.baseAddress! + s * steps * p
                // Forward: a[k] = U h[k-1] + F x[k] + b;  h[k] = phi(a[k]);  yhat[k] = C h[k] + c.
                for k in 1...steps {
                    for i in 0..<m {
                        var acc = t[l.b + i]
                        for j in 0..<m { acc += t[l.u + i * m + j] * h[(k - 1) * m + j] }
                        for j in 0..<d { acc += t[l.f + i * d + j] * x[(k - 1) * d + j] }
                        a[(k - 1) * m + i] = acc
                        h[k * m + i] = act.apply(acc)
                    }
                    for i in 0..<p {
                        var acc = t[l.cb + i]
                        for j in 0..<m { acc += t[l.c + i * m + j] * h[k * m + j] }
                        let e = acc - y[(k - 1) * p + i]
                        sse += e * e
                        dy[(k - 1) * p + i] = scale * e                      // d loss / d yhat
                    }
                }
                // Backward through time.
                for i in 0..<m { dh[i] = 0 }                                 // carry U^T da from step k+1
                for k in stride(from: steps, through: 1, by: -1) {
                    for i in 0..<p {                                         // yhat = C h + c
                        let e = dy[(k - 1) * p + i]
                        g[l.cb + i] += e
                        for j in 0..<m { g[l.c + i * m + j] += e * h[k * m + j]; dh[j] += t[l.c + i * m + j] * e }
                    }
                    for i in 0..<m {                                         // h = phi(a)
                        let hv = h[k * m + i]
                        let deriv: Double
                        switch act {
                        case .relu: deriv = a[(k - 1) * m + i] > 0 ? 1 : 0
                        case .sigmoid: deriv = hv * (1 - hv)
                        case .identity: deriv = 1
                        }
                        da[i] = dh[i] * deriv
                    }
                    for i in 0..<m { dh[i] = 0 }
                    for i in 0..<m {                                         // a = U h[k-1] + F x + b
                        let e = da[i]
                        if e == 0 { continue }
                        g[l.b + i] += e
                        for j in 0..<m { g[l.u + i * m + j] += e * h[(k - 1) * m + j]; dh[j] += t[l.u + i * m + j] * e }
                        for j in 0..<d { g[l.f + i * d + j] += e * x[(k - 1) * d + j] }
                    }
                }
            }
        }}}}}}}}}
        return data.totalVariance > 0 ? sse / data.totalVariance : sse
    }

    /// Fits from `initial` (its W must be orthogonal; its h0 is ignored, students start at 0).
    /// Keeps the parameters with the lowest training NMSE seen (checked before each step).
    public static func fit(initial: RNNModel, train: FitData, test: FitData, config: FitConfig) throws(TheoryError) -> FitResult {
        let l = Layout(m: initial.n, d: initial.inputCount, p: initial.outputCount)
        guard l.d == train.d, l.p == train.p else { throw .invalidArgument("student is \(l.d)->\(l.p), data is \(train.d)->\(train.p)") }
        let act = initial.activation
        var theta = flatten(initial)
        var grad = [Double](repeating: 0, count: l.count)
        var m1 = grad, m2 = grad
        var best = theta, bestLoss = Double.infinity
        let beta1 = 0.9, beta2 = 0.999, eps = 1e-8
        let iters = config.iterations
        for it in 0...iters {
            let loss = lossAndGradient(theta, &grad, l, act, train)
            if loss < bestLoss { bestLoss = loss; best = theta }
            if it == iters || !loss.isFinite { break }
            let frac = iters > 1 ? Double(it) / Double(iters - 1) : 0
            let lr = config.learningRate * _theoryPow(config.finalLearningRate / config.learningRate, frac)
            let c1 = 1 - _theoryPow(beta1, Double(it + 1)), c2 = 1 - _theoryPow(beta2, Double(it + 1))
            for k in 0..<l.count {
                m1[k] = beta1 * m1[k] + (1 - beta1) * grad[k]
                m2[k] = beta2 * m2[k] + (1 - beta2) * grad[k] * grad[k]
                theta[k] -= lr * (m1[k] / c1) / ((m2[k] / c2).squareRoot() + eps)
            }
            let u = try DenseLinearAlgebra.polarFactor(Matrix(rows: l.m, cols: l.m, data: Array(theta[0..<(l.m * l.m)])))
            for k in 0..<(l.m * l.m) { theta[k] = u.data[k] }
        }
        let model = unflatten(best, l, activation: act)
        return FitResult(model: model, trainError: bestLoss, testError: test.nmse(model))
    }
}
