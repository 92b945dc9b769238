import Foundation
import Testing
@testable import Shared

/// Random batch data and parameters for kernel tests.
struct KernelCase {
    var shape: ModelShape
    var B: Int, T: Int
    var params: [Double], x: [Double], y: [Double]

    init(cell: Cell, n: Int, p: Int = 2, q: Int = 2, B: Int = 2, T: Int = 6, seed: UInt64, orthogonalW: Bool = false) {
        shape = ModelShape(cell: cell, hidden: n, inputs: p, outputs: q)
        self.B = B; self.T = T
        var rng = Xoshiro256(seed: seed)
        params = Initializer.keras(shape, rng: &rng)
        // Non-zero biases so that ReLU units switch and the LSTM gates are not symmetric.
        for s in shape.slots where s.name == "b" || s.name == "c" {
            for i in s.range { params[i] += 0.3 * rng.gaussian() }
        }
        if orthogonalW {
            let w = shape.slot("W")
            let proj = try! MatrixProjection.nearestOrthogonal(Array(params[w.range]), n: n)
            params.replaceSubrange(w.range, with: proj)
        }
        x = (0..<(T * B * p)).map { _ in rng.gaussian() }
        y = (0..<(T * B * q)).map { _ in rng.gaussian() }
    }

    func reference<S: TrainScalar>(_ p: [S], x: [S], y: [S], scale: S, grad: inout [S]?) -> S {
        switch shape.cell {
        case .relu: RNNReference.run(shape: shape, params: p, x: x, y: y, batch: B, steps: T, scale: scale, grad: &grad)
        case .lstm: LSTMReference.run(shape: shape, params: p, x: x, y: y, batch: B, steps: T, scale: scale, grad: &grad)
        }
    }

    /// Worst relative error of the analytic gradient against central differences, by tensor name.
    func gradientCheck(h: Double = 1e-6) -> [String: Double] {
        let scale = 1.0 / Double(B * T * shape.outputs)
        var g: [Double]? = []
        _ = reference(params, x: x, y: y, scale: scale, grad: &g)
        var worst: [String: Double] = [:]
        for slot in shape.slots {
            var w = 0.0
            for i in slot.range {
                var pp = params, pm = params
                pp[i] += h; pm[i] -= h
                var none: [Double]? = nil
                let lp = scale * reference(pp, x: x, y: y, scale: scale, grad: &none)
                let lm = scale * reference(pm, x: x, y: y, scale: scale, grad: &none)
                let fd = (lp - lm) / (2 * h)
                let a = g![i]
                w = max(w, abs(a - fd) / max(1e-7, abs(a) + abs(fd)))
            }
            worst[slot.name] = w
        }
        return worst
    }
}

@Suite struct KernelTests {
    @Test(arguments: [("rnn", Cell.relu, false), ("urnn", Cell.relu, true), ("lstm", Cell.lstm, false)])
    func gradientMatchesCentralDifferences(name: String, cell: Cell, orthogonal: Bool) {
        let c = KernelCase(cell: cell, n: 3, B: 2, T: 7, seed: 11, orthogonalW: orthogonal)
        let worst = c.gradientCheck()
        let text = worst.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.1e", $0.value))" }.joined(separator: " ")
        print("gradient check \(name): worst relative error by tensor: \(text)")
        #expect(worst.count == 5)
        for (tensor, err) in worst { #expect(err < 1e-6, "\(name) tensor \(tensor): relative error \(err)") }
    }

    @Test(arguments: [(Cell.relu, 2), (Cell.relu, 5), (Cell.relu, 8), (Cell.relu, 13), (Cell.relu, 16),
                      (Cell.relu, 17), (Cell.relu, 32), (Cell.relu, 45),
                      (Cell.lstm, 2), (Cell.lstm, 7), (Cell.lstm, 14), (Cell.lstm, 16), (Cell.lstm, 19), (Cell.lstm, 40)])
    func fastKernelMatchesReference(cell: Cell, n: Int) {
        let c = KernelCase(cell: cell, n: n, p: 3, q: 2, B: 3, T: 70, seed: UInt64(100 + n))  // T > 64: two blocks of steps
        let scale = 1.0 / Double(c.B * c.T * 2)
        var gRef: [Double]? = []
        let sseRef = c.reference(c.params, x: c.x, y: c.y, scale: scale, grad: &gRef)
        // maxBatch == B (full batches) and maxBatch > B (the last, partial batch of an epoch).
        for maxBatch in [c.B, c.B + 2] {
            let kernel = KernelFactory.make(shape: c.shape, steps: c.T, maxBatch: maxBatch)
            #expect(!(kernel is ReferenceKernel))
            let pf = c.params.map(Float.init), xf = c.x.map(Float.init), yf = c.y.map(Float.init)
            var gFast = [Float](repeating: .nan, count: c.shape.parameterCount)
            // Twice: stale workspace contents from the first call must not leak into the second.
            _ = kernel.run(params: pf, x: xf.map { $0 * 3 }, y: yf, batch: c.B, scale: 1, grad: &gFast)
            let sseFast = kernel.run(params: pf, x: xf, y: yf, batch: c.B, scale: Float(scale), grad: &gFast)
            let sseEval = kernel.run(params: pf, x: xf, y: yf, batch: c.B, scale: Float(scale), grad: nil)
            #expect(abs(sseFast - sseRef) <= 1e-4 * sseRef)
            #expect(abs(sseEval - sseRef) <= 1e-4 * sseRef)
            let gmax = gRef!.map(abs).max()!
            for slot in c.shape.slots {
                for i in slot.range {
                    #expect(abs(Double(gFast[i]) - gRef![i]) <= 1e-4 * gmax + 1e-6, "n=\(n) maxBatch=\(maxBatch) \(slot.name)[\(i - slot.offset)]")
                }
            }
        }
    }

    @Test func vectorMathIsAccurate() {
        var worstExp = 0.0, worstSig = 0.0, worstTanh = 0.0
        for k in 0..<4000 {
            let x = Float(-40 + Double(k) * 0.02)
            let v = SIMD4<Float>(x, -x, x / 7, 0)
            let e = VectorMath.exp(v), s = VectorMath.sigmoid(v), t = VectorMath.tanh(v)
            for l in 0..<4 {
                let xd = Double(v[l])
                worstExp = max(worstExp, abs(Double(e[l]) - Foundation.exp(xd)) / Foundation.exp(xd))
                worstSig = max(worstSig, abs(Double(s[l]) - 1 / (1 + Foundation.exp(-xd))))
                worstTanh = max(worstTanh, abs(Double(t[l]) - Foundation.tanh(xd)))
            }
        }
        #expect(worstExp < 4e-7)
        #expect(worstSig < 3e-7)
        #expect(worstTanh < 5e-7)
        let nan = VectorMath.sigmoid(SIMD4<Float>(.nan, 0, 0, 0))
        #expect(nan[0].isNaN)
    }
}
