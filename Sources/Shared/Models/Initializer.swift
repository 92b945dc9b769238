// Keras's default initialisation, which the paper's authors used:
//   input kernels (F, Wx) and the readout C: Glorot uniform, U(-l, l), l = sqrt(6 / (fan_in + fan_out));
//   recurrent kernels (W, Wh): orthogonal (Q of a QR of a Gaussian matrix, sign-fixed);
//   all biases zero, except the LSTM forget gate's bias, which is 1 (unit_forget_bias).
// Fan sizes are Keras's: SimpleRNN kernel (p, n), LSTM kernel (p, 4n), Dense (n, q).

public enum Initializer {
    /// A fresh parameter buffer for `shape`, drawn from `rng`.
    /// How a ReLU cell's recurrent matrix W starts; every other tensor is drawn as by Keras, from
    /// the same stream, whatever is chosen here.
    public enum Recurrent: Sendable {
        /// Keras's orthogonal initializer: Haar-distributed on O(n), so det W = -1 half the time.
        case orthogonal
        /// The same draw with det W made +1 (its first column negated when det W = -1): a rotation.
        /// A URNN never leaves the component of O(n) it starts in (docs/REPRODUCTION.md).
        case rotation
        /// W = I (Le et al.'s IRNN); draws nothing.
        case identity
    }

    public static func keras(_ shape: ModelShape, rng: inout Xoshiro256, recurrent: Recurrent = .orthogonal) -> [Double] {
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
            let w = shape.slot("W")
            switch recurrent {
            case .identity:
                for i in 0..<n { params[w.offset + i * n + i] = 1 }
            case .orthogonal:
                orthogonal(w)
            case .rotation:
                orthogonal(w)
                if determinantSign(Array(params[w.range]), n: n) < 0 {
                    for i in 0..<n { params[w.offset + i * n] = -params[w.offset + i * n] }
                }
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

    /// The sign of det A for a row-major [n, n] matrix (Gaussian elimination with partial pivoting):
    /// +1, -1, or 0 when A is singular to working precision.
    public static func determinantSign(_ a: [Double], n: Int) -> Int {
        var a = a, sign = 1
        for c in 0..<n {
            var pivot = c
            for i in c..<n where abs(a[i * n + c]) > abs(a[pivot * n + c]) { pivot = i }
            if a[pivot * n + c] == 0 { return 0 }
            if pivot != c { for j in 0..<n { a.swapAt(c * n + j, pivot * n + j) }; sign = -sign }
            if a[c * n + c] < 0 { sign = -sign }
            for i in (c + 1)..<n {
                let f = a[i * n + c] / a[c * n + c]
                for j in c..<n { a[i * n + j] -= f * a[c * n + j] }
            }
        }
        return sign
    }
}
