// The interface the classification trainer drives (pixel MNIST), and the choice of kernel.
//
// A classifier reads a whole sequence and is scored on its last state only:
//   logits z = C h(T) + c;  loss = sum over the batch of softmax cross-entropy(z, label).
// Same parameter layout as ModelShape (outputs = classes), so Initializer and the recurrent
// constraints apply unchanged.

import Foundation

public protocol ClassifierKernel: AnyObject {
    var shape: ModelShape { get }
    var steps: Int { get }
    var maxBatch: Int { get }
    /// x [T, B, p] (batch-major per step), labels [B] in 0..<q, B <= maxBatch.
    /// Returns the summed cross-entropy (Double) and how many argmaxes (first on ties) are right.
    /// If `grad` is non-nil it is overwritten with d(scale * loss)/d(params).
    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> (loss: Double, correct: Int)
}

public enum ClassifierKernelFactory {
    /// The fast Float kernel for `shape`, or the plain reference (slow, allocates) when asked.
    public static func make(shape: ModelShape, steps: Int, maxBatch: Int, preferReference: Bool = false) -> ClassifierKernel {
        if preferReference { return ReferenceClassifierKernel(shape: shape, steps: steps, maxBatch: maxBatch) }
        switch shape.cell {
        case .relu: return RNNClassifierKernel(shape: shape, steps: steps, maxBatch: maxBatch)
        case .lstm: return LSTMClassifierKernel(shape: shape, steps: steps, maxBatch: maxBatch)
        }
    }
}

/// ClassifierReference behind the kernel interface (Float): the fast kernels' twin.
public final class ReferenceClassifierKernel: ClassifierKernel {
    public let shape: ModelShape
    public let steps: Int
    public let maxBatch: Int
    public init(shape: ModelShape, steps: Int, maxBatch: Int) { self.shape = shape; self.steps = steps; self.maxBatch = maxBatch }

    public func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
                    scale: Float, grad: UnsafeMutablePointer<Float>?) -> (loss: Double, correct: Int) {
        let P = Array(UnsafeBufferPointer(start: params, count: shape.parameterCount))
        let X = Array(UnsafeBufferPointer(start: x, count: steps * batch * shape.inputs))
        let L = (0..<batch).map { Int(labels[$0]) }
        var g: [Float]? = grad == nil ? nil : []
        let r = ClassifierReference.run(shape: shape, params: P, x: X, labels: L, batch: batch, steps: steps, scale: scale, grad: &g)
        if let grad, let g { for i in 0..<g.count { grad[i] = g[i] } }
        return (Double(r.loss), r.correct)
    }
}

/// The softmax cross-entropy readout of the fast kernels, on the last states (Float, lanes of 8).
/// Logits in the reference's order (c[o], then C[o, j] h_j for j ascending); softmax by
/// VectorMath.exp (the same bits on every CPU: gradients never go through libm); the loss value
/// takes one libm `log` in Double per sequence (reported, never differentiated).
struct SoftmaxReadout {
    let n: Int, q: Int
    /// ceil(q / 8) * 8 floats of scratch, owned by the kernel.
    let e: UnsafeMutablePointer<Float>
    /// Logits of a state h (n floats): into z (q floats).
    @inline(__always) func logits(C: UnsafePointer<Float>, c: UnsafePointer<Float>, h: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>) {
        for o in 0..<q {
            var v = c[o]
            for j in 0..<n { v += C[o * n + j] * h[j] }
            z[o] = v
        }
    }

    /// Loss, whether the argmax is the label, and dz = scale (softmax - onehot) into dz (q floats).
    @inline(__always) func crossEntropy(z: UnsafePointer<Float>, label: Int, scale: Float, dz: UnsafeMutablePointer<Float>?) -> (Double, Bool) {
        var m = z[0], arg = 0
        for o in 1..<q where z[o] > m { m = z[o]; arg = o }
        var s: Float = 0
        var o0 = 0
        // e_o = exp(z_o - m), 8 lanes at a time; lanes past q are not used.
        while o0 < q {
            var v = SIMD8<Float>(repeating: 0)
            for l in 0..<min(8, q - o0) { v[l] = z[o0 + l] - m }
            let ev = VectorMath.exp(v)
            for l in 0..<min(8, q - o0) { e[o0 + l] = ev[l] }
            o0 += 8
        }
        for o in 0..<q { s += e[o] }
        let loss = Double(m + Float(Foundation.log(Double(s))) - z[label])
        if let dz { for o in 0..<q { dz[o] = (e[o] / s - (o == label ? 1 : 0)) * scale } }
        return (loss, arg == label)
    }
}
