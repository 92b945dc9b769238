// The interface the trainer drives, and the choice of kernel for a shape.

/// Forward (+ backward) of one model on one batch of whole sequences, in Float.
///
/// x: [T, B, p] and y: [T, B, q] (batch-major per step), B <= maxBatch.
/// Returns SSE = sum over t, b, o of (yhat - y)^2, accumulated in Double.
/// If `grad` is non-nil it is overwritten with d(scale * SSE)/d(params), flat layout of `shape`.
public protocol SequenceKernel: AnyObject {
    var shape: ModelShape { get }
    var steps: Int { get }
    var maxBatch: Int { get }
    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, batch: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> Double
}

public enum KernelFactory {
    /// The fast SIMD kernel: one vector of 4, 8 or 16 lanes per state up to 16 hidden units, above
    /// that blocks of 16 lanes (any size). The reference kernel (Float) only when asked for.
    public static func make(shape: ModelShape, steps: Int, maxBatch: Int, preferReference: Bool = false) -> SequenceKernel {
        if !preferReference {
            let n = shape.hidden
            switch shape.cell {
            case .relu:
                if n <= 4 { return specialized(RNNKernel<SIMD4<Float>>(shape: shape, steps: steps, maxBatch: maxBatch)) }
                if n <= 8 { return specialized(RNNKernel<SIMD8<Float>>(shape: shape, steps: steps, maxBatch: maxBatch)) }
                return specialized(RNNKernel<SIMD16<Float>>(shape: shape, steps: steps, maxBatch: maxBatch))
            case .lstm:
                if n <= 4 { return specialized(LSTMKernel<SIMD4<Float>>(shape: shape, steps: steps, maxBatch: maxBatch)) }
                if n <= 8 { return specialized(LSTMKernel<SIMD8<Float>>(shape: shape, steps: steps, maxBatch: maxBatch)) }
                return specialized(LSTMKernel<SIMD16<Float>>(shape: shape, steps: steps, maxBatch: maxBatch))
            }
        }
        return ReferenceKernel(shape: shape, steps: steps, maxBatch: maxBatch)
    }
}

extension KernelFactory {
    // A generic kernel reached through the protocol would run its generic (unspecialised)
    // witness, i.e. every SIMD operation through witness tables: ~1000x slower. These
    // wrappers call `run` at a concrete lane type, so the optimizer specialises it.
    static func specialized<V: LaneVector>(_ k: RNNKernel<V>) -> SequenceKernel {
        if let k = k as? RNNKernel<SIMD4<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        if let k = k as? RNNKernel<SIMD8<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        if let k = k as? RNNKernel<SIMD16<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        return k
    }

    static func specialized<V: LaneVector>(_ k: LSTMKernel<V>) -> SequenceKernel {
        if let k = k as? LSTMKernel<SIMD4<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        if let k = k as? LSTMKernel<SIMD8<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        if let k = k as? LSTMKernel<SIMD16<Float>> { return Specialized(k) { k.run(params: $0, x: $1, y: $2, batch: $3, scale: $4, grad: $5) } }
        return k
    }
}

/// A kernel whose `run` is a closure formed at a concrete type.
final class Specialized: SequenceKernel {
    typealias Body = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>?) -> Double
    let inner: SequenceKernel
    let body: Body
    var shape: ModelShape { inner.shape }
    var steps: Int { inner.steps }
    var maxBatch: Int { inner.maxBatch }
    init(_ inner: SequenceKernel, body: @escaping Body) { self.inner = inner; self.body = body }
    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, batch: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> Double {
        body(params, x, y, batch, scale, grad)
    }
}

/// The plain reference kernels behind the `SequenceKernel` interface (Float).
/// Slow (allocates per call); the fast kernels' twin in tests.
public final class ReferenceKernel: SequenceKernel {
    public let shape: ModelShape
    public let steps: Int
    public let maxBatch: Int

    public init(shape: ModelShape, steps: Int, maxBatch: Int) {
        self.shape = shape; self.steps = steps; self.maxBatch = maxBatch
    }

    public func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, batch: Int,
                    scale: Float, grad: UnsafeMutablePointer<Float>?) -> Double {
        let P = Array(UnsafeBufferPointer(start: params, count: shape.parameterCount))
        let X = Array(UnsafeBufferPointer(start: x, count: steps * batch * shape.inputs))
        let Y = Array(UnsafeBufferPointer(start: y, count: steps * batch * shape.outputs))
        var g: [Float]? = grad == nil ? nil : []
        let sse: Float
        switch shape.cell {
        case .relu: sse = RNNReference.run(shape: shape, params: P, x: X, y: Y, batch: batch, steps: steps, scale: scale, grad: &g)
        case .lstm: sse = LSTMReference.run(shape: shape, params: P, x: X, y: Y, batch: batch, steps: steps, scale: scale, grad: &g)
        }
        if let grad, let g { for i in 0..<g.count { grad[i] = g[i] } }
        return Double(sse)
    }
}
