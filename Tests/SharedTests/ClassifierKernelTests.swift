import Foundation
import Testing
@testable import Shared

/// Random classification batches and parameters for the classifier kernels.
struct ClassifierCase {
    var shape: ModelShape
    var B: Int, T: Int
    var params: [Double], x: [Double], labels: [Int]

    init(cell: Cell, n: Int, p: Int = 1, q: Int = 10, B: Int = 3, T: Int = 6, seed: UInt64, constraint: RecurrentConstraint = .none) {
        shape = ModelShape(cell: cell, hidden: n, inputs: p, outputs: q)
        self.B = B; self.T = T
        var rng = Xoshiro256(seed: seed)
        params = Initializer.keras(shape, rng: &rng)
        for s in shape.slots where s.name == "b" || s.name == "c" {
            for i in s.range { params[i] += 0.3 * rng.gaussian() }
        }
        if cell == .relu {
            // Unconstrained: W grown a little past orthogonal, so ||W|| > 1 and the clip does something.
            let w = shape.slot("W")
            for i in w.range { params[i] = 1.2 * params[i] + 0.05 * rng.gaussian() }
            if constraint != .none {
                let projected = constraint == .orthogonal
                    ? try! MatrixProjection.nearestOrthogonal(Array(params[w.range]), n: n)
                    : try! MatrixProjection.clipSingularValues(Array(params[w.range]), n: n, bound: 1)
                // Contractive: shrink a little so that not every singular value sits at 1.
                params.replaceSubrange(w.range, with: constraint == .contractive ? projected.map { 0.8 * $0 } : projected)
            }
        }
        x = (0..<(T * B * p)).map { _ in rng.uniform() }
        labels = (0..<B).map { _ in rng.index(below: q) }
    }

    func reference<S: TrainScalar>(_ p: [S], scale: S, grad: inout [S]?) -> (loss: S, correct: Int) {
        ClassifierReference.run(shape: shape, params: p, x: x.map { S($0) }, labels: labels, batch: B, steps: T, scale: scale, grad: &grad)
    }
}

@Suite struct ClassifierKernelTests {
    @Test(arguments: [("rnn", Cell.relu, RecurrentConstraint.none), ("urnn", .relu, .orthogonal),
                      ("crnn", .relu, .contractive), ("lstm", .lstm, .none)])
    func gradientMatchesCentralDifferences(name: String, cell: Cell, constraint: RecurrentConstraint) {
        let c = ClassifierCase(cell: cell, n: 4, p: 2, q: 5, B: 3, T: 7, seed: 21, constraint: constraint)
        let scale = 1.0 / Double(c.B)
        var g: [Double]? = []
        _ = c.reference(c.params, scale: scale, grad: &g)
        let h = 1e-5
        var worst: [String: Double] = [:]
        // Relative error, with entries below 1% of the tensor's largest measured against that
        // (central differences lose ~1e-10 absolute to rounding, which swamps tiny entries; a wrong
        // gradient shows as errors of order 1).
        for slot in c.shape.slots {
            var w = 0.0
            let floor = 1e-2 * g![slot.range].map(abs).max()!
            for i in slot.range {
                var pp = c.params, pm = c.params
                pp[i] += h; pm[i] -= h
                var none: [Double]? = nil
                let fd = (scale * c.reference(pp, scale: scale, grad: &none).loss - scale * c.reference(pm, scale: scale, grad: &none).loss) / (2 * h)
                w = max(w, abs(g![i] - fd) / max(floor, 1e-9, abs(g![i]) + abs(fd)))
            }
            worst[slot.name] = w
        }
        print("classifier gradient check \(name): " + worst.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.1e", $0.value))" }.joined(separator: " "))
        #expect(worst.count == 5)
        // Every tensor gets a gradient (the path through the whole recurrence is exercised).
        for slot in c.shape.slots { #expect(g![slot.range].contains { $0 != 0 }, "\(name): gradient of \(slot.name) is all zero") }
        for (tensor, err) in worst { #expect(err < 1e-6, "\(name) tensor \(tensor): relative error \(err)") }
    }

    @Test func lossAndAccuracyByHand() {
        // Zero recurrence, readout bias only: logits = c for every sequence.
        let shape = ModelShape(cell: .relu, hidden: 2, inputs: 1, outputs: 3)
        var params = [Double](repeating: 0, count: shape.parameterCount)
        let c = shape.slot("c")
        params[c.offset] = 1; params[c.offset + 1] = 2; params[c.offset + 2] = 0
        var none: [Double]? = nil
        let r = ClassifierReference.run(shape: shape, params: params, x: [0, 0, 0, 0], labels: [1, 0], batch: 2, steps: 2, scale: 1, grad: &none)
        let lse = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + 1)
        #expect(abs(r.loss - ((lse - 2) + (lse - 1))) < 1e-12)
        #expect(r.correct == 1)
        let kernel = ClassifierKernelFactory.make(shape: shape, steps: 2, maxBatch: 2)
        let fr = kernel.run(params: params.map(Float.init), x: [0, 0, 0, 0], labels: [1, 0], batch: 2, scale: 1, grad: nil)
        #expect(abs(fr.loss - r.loss) < 1e-5 && fr.correct == 1)
    }

    @Test(arguments: [(Cell.relu, 1), (Cell.relu, 5), (Cell.relu, 8), (Cell.relu, 13), (Cell.relu, 16), (Cell.relu, 33),
                      (Cell.lstm, 1), (Cell.lstm, 6), (Cell.lstm, 8), (Cell.lstm, 17), (Cell.lstm, 24)])
    func fastKernelMatchesReference(cell: Cell, n: Int) {
        for (p, B) in [(1, 5), (2, 8), (1, 13)] {
            let c = ClassifierCase(cell: cell, n: n, p: p, q: 10, B: B, T: 9, seed: UInt64(300 + n + B))
            let scale = 1.0 / Double(B)
            var gRef: [Double]? = []
            let ref = c.reference(c.params, scale: scale, grad: &gRef)
            var gRefF: [Float]? = []
            let refF = c.reference(c.params.map(Float.init), scale: Float(scale), grad: &gRefF)
            let labels = c.labels.map(Int32.init)
            for maxBatch in [B, B + 3] {
                let kernel = ClassifierKernelFactory.make(shape: c.shape, steps: c.T, maxBatch: maxBatch)
                #expect(!(kernel is ReferenceClassifierKernel))
                let pf = c.params.map(Float.init), xf = c.x.map(Float.init)
                var g = [Float](repeating: .nan, count: c.shape.parameterCount)
                // Twice, the first on other data: nothing stale may leak into the second call.
                _ = kernel.run(params: pf, x: xf.map { $0 * 3 }, labels: labels.reversed(), batch: B, scale: 1, grad: &g)
                let r = kernel.run(params: pf, x: xf, labels: labels, batch: B, scale: Float(scale), grad: &g)
                let e = kernel.run(params: pf, x: xf, labels: labels, batch: B, scale: Float(scale), grad: nil)
                #expect(abs(r.loss - ref.loss) <= 1e-5 * max(1, ref.loss), "n=\(n) p=\(p) loss \(r.loss) vs \(ref.loss)")
                #expect(r.loss == e.loss && r.correct == e.correct && r.correct == ref.correct)
                let gmax = gRef!.map(abs).max()!
                for slot in c.shape.slots {
                    for i in slot.range {
                        #expect(abs(Double(g[i]) - gRef![i]) <= 2e-5 * gmax + 1e-7,
                                "\(cell) n=\(n) p=\(p) maxBatch=\(maxBatch) \(slot.name)[\(i - slot.offset)] \(g[i]) vs \(gRef![i])")
                    }
                }
                // The RNN sums in the reference's order: in Float the two agree far more tightly
                // than the Double tolerance above (only the softmax's exp differs).
                if cell == .relu {
                    for i in 0..<g.count { #expect(abs(g[i] - gRefF![i]) <= 1e-6 * Float(gmax) + 1e-9) }
                    #expect(abs(r.loss - Double(refF.loss)) <= 1e-5 * max(1, r.loss))
                }
            }
        }
    }
}
