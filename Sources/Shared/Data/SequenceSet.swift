// A set of input/target sequences of one length, stored sequence-major in Float:
//   x [S, T, p],  y [S, T, q]   (row-major, contiguous).
// Kernels want batch-major steps, so `gather` copies a batch into x [T, B, p], y [T, B, q].

public struct SequenceSet: Sendable, Equatable {
    public var count: Int
    public var steps: Int
    public var inputs: Int
    public var outputs: Int
    public var x: [Float]
    public var y: [Float]

    public init(count: Int, steps: Int, inputs: Int, outputs: Int, x: [Float], y: [Float]) {
        precondition(x.count == count * steps * inputs && y.count == count * steps * outputs, "sequence set shape mismatch")
        self.count = count; self.steps = steps; self.inputs = inputs; self.outputs = outputs
        self.x = x; self.y = y
    }

    /// The sequences at `indices`, as a new set (in that order).
    public func subset(_ indices: some Collection<Int>) -> SequenceSet {
        let px = steps * inputs, py = steps * outputs
        var nx = [Float](), ny = [Float]()
        nx.reserveCapacity(indices.count * px); ny.reserveCapacity(indices.count * py)
        for s in indices {
            nx.append(contentsOf: x[(s * px)..<((s + 1) * px)])
            ny.append(contentsOf: y[(s * py)..<((s + 1) * py)])
        }
        return SequenceSet(count: indices.count, steps: steps, inputs: inputs, outputs: outputs, x: nx, y: ny)
    }

    /// Copies sequences `indices` (B of them) into batch-major buffers x [T, B, p], y [T, B, q].
    public func gather(_ indices: ArraySlice<Int>, x bx: UnsafeMutablePointer<Float>, y by: UnsafeMutablePointer<Float>) {
        let B = indices.count, p = inputs, q = outputs
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                for (b, s) in indices.enumerated() {
                    let sx = xs.baseAddress! + s * steps * p, sy = ys.baseAddress! + s * steps * q
                    for t in 0..<steps {
                        for k in 0..<p { bx[(t * B + b) * p + k] = sx[t * p + k] }
                        for o in 0..<q { by[(t * B + b) * q + o] = sy[t * q + o] }
                    }
                }
            }
        }
    }

    /// Sum over all steps and outputs of (y - ybar)^2, ybar the per-output mean: the R^2 denominator.
    public var totalSumOfSquares: Double {
        var mean = [Double](repeating: 0, count: outputs)
        let m = count * steps
        for i in 0..<m { for o in 0..<outputs { mean[o] += Double(y[i * outputs + o]) } }
        for o in 0..<outputs { mean[o] /= Double(max(m, 1)) }
        var sst = 0.0
        for i in 0..<m { for o in 0..<outputs { let d = Double(y[i * outputs + o]) - mean[o]; sst += d * d } }
        return sst
    }
}
