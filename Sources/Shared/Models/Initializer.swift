// Keras's default initialisation, which the paper's authors used:
//   input kernels (F, Wx) and the readout C: Glorot uniform, U(-l, l), l = sqrt(6 / (fan_in + fan_out));
//   recurrent kernels (W, Wh): orthogonal (Q of a QR of a Gaussian matrix, sign-fixed);
//   all biases zero, except the LSTM forget gate's bias, which is 1 (unit_forget_bias).
// Fan sizes are Keras's: SimpleRNN kernel (p, n), LSTM kernel (p, 4n), Dense (n, q).

public enum Initializer {
    /// A fresh parameter buffer for `shape`, drawn from `rng`.
    /// `identityRecurrent`: a ReLU cell's W starts as the identity instead of a random orthogonal
    /// matrix (IRNN); every other tensor is drawn as by Keras, from the same stream.
    public static func keras(_ shape: ModelShape, rng: inout Xoshiro256, identityRecurrent: Bool = false) -> [Double] {
        let n = shape.hidden, p = shape.inputs, q = shape.outputs
        var params = [Double](repeating: 0, count: shape.parameterCount)
        func glorot(_ slot: TensorSlot, fanIn: Int, fanOut: Int) {
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            for i in slot.range { params[i] = (2 * rng.uniform() - 1) * limit }
        }
        func orthogonal(_ slot: TensorSlot) {
            // slot is [rows, cols] with rows >= cols: orthonormal columns.
            var g = [Double](repeating: 0, count: slot.count)
            for i in 0..<g.count { g[i] = rng.gaussian() }
            let q = MatrixProjection.orthonormalColumns(g, rows: slot.rows, cols: slot.cols)
            for i in 0..<q.count { params[slot.offset + i] = q[i] }
        }
        switch shape.cell {
        case .relu:
            glorot(shape.slot("F"), fanIn: p, fanOut: n)
            if identityRecurrent {
                precondition(shape.slot("W").rows == n && shape.slot("W").cols == n)
                let w = shape.slot("W")
                for i in 0..<n { params[w.offset + i * n + i] = 1 }
            } else {
                orthogonal(shape.slot("W"))
            }
        case .lstm:
            glorot(shape.slot("Wx"), fanIn: p, fanOut: 4 * n)
            orthogonal(shape.slot("Wh"))
            let b = shape.slot("b")
            for i in n..<(2 * n) { params[b.offset + i] = 1 }
        }
        glorot(shape.slot("C"), fanIn: n, fanOut: q)
        return params
    }
}
