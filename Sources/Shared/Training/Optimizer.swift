// First-order optimizers over the flat parameter buffer: one loop each.
// Constants are Keras's defaults (what the paper's authors used):
//   Adam:    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//            theta -= lr_t m / (sqrt(v) + eps_hat),  lr_t = lr sqrt(1-b2^t)/(1-b1^t), b1 0.9, b2 0.999, eps 1e-7
//            (eps is a parameter: PyTorch's default is 1e-8)
//   RMSProp: v = rho v + (1-rho) g^2;  theta -= lr g / (sqrt(v) + eps),  rho 0.9, eps 1e-7
//   SGD:     theta -= lr g
// The state (moments and step count) is a value, so the divergence guard can
// snapshot and restore it together with the parameters.

public struct OptimizerState: Sendable, Equatable {
    public var first: [Float]
    public var second: [Float]
    public var step: Int
}

public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    public var learningRate: Double
    public var state: OptimizerState
    /// The epsilon of Adam's and RMSProp's denominators, in Float (1e-7 is Keras's default).
    public let epsilon: Float

    public init(kind: OptimizerKind, learningRate: Double, parameterCount: Int, epsilon: Double = 1e-7) {
        self.kind = kind; self.learningRate = learningRate; self.epsilon = Float(epsilon)
        let zeros = [Float](repeating: 0, count: parameterCount)
        state = OptimizerState(first: kind == .adam ? zeros : [], second: kind == .sgd ? [] : zeros, step: 0)
    }

    /// One update of `params` with gradient `grad` (both flat, same count).
    public mutating func step(params: inout [Float], grad: [Float]) {
        state.step += 1
        let count = params.count
        switch kind {
        case .sgd:
            let lr = Float(learningRate)
            for i in 0..<count { params[i] -= lr * grad[i] }
        case .rmsprop:
            let rho: Float = 0.9, eps = epsilon, lr = Float(learningRate)
            state.second.withUnsafeMutableBufferPointer { v in
                for i in 0..<count {
                    let g = grad[i]
                    v[i] = rho * v[i] + (1 - rho) * g * g
                    params[i] -= lr * g / (v[i].squareRoot() + eps)
                }
            }
        case .adam:
            let b1 = 0.9, b2 = 0.999
            let t = Double(state.step)
            let lrt = Float(learningRate * (1 - Foundation.pow(b2, t)).squareRoot() / (1 - Foundation.pow(b1, t)))
            let eps = epsilon
            let fb1 = Float(b1), fb2 = Float(b2)
            state.first.withUnsafeMutableBufferPointer { m in
                state.second.withUnsafeMutableBufferPointer { v in
                    for i in 0..<count {
                        let g = grad[i]
                        m[i] = fb1 * m[i] + (1 - fb1) * g
                        v[i] = fb2 * v[i] + (1 - fb2) * g * g
                        params[i] -= lrt * m[i] / (v[i].squareRoot() + eps)
                    }
                }
            }
        }
    }
}

/// Scales `grad` so that its Euclidean norm is at most `maxNorm` (global norm over all tensors).
/// Returns the norm before clipping.
@discardableResult
public func clipGlobalNorm(_ grad: inout [Float], maxNorm: Double) -> Double {
    var s = 0.0
    for g in grad { s += Double(g) * Double(g) }
    let norm = s.squareRoot()
    if norm > maxNorm {
        let f = Float(maxNorm / norm)
        for i in 0..<grad.count { grad[i] *= f }
    }
    return norm
}

import Foundation
