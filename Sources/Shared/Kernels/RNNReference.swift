// Plain reference kernel of the ReLU RNN: forward and backward through time over
// one batch, generic over the scalar so gradient checks run it in Double. The
// fast Float kernel (RNNKernel) is tested against this one.
//
// Shapes (batch-major per step):  x [T, B, p],  y [T, B, q],  states H [T+1, B, n]
// with H[0] = 0. Objective: loss = scale * SSE, SSE = sum over t, b, o of (yhat - y)^2.

public enum RNNReference {
    /// Runs the batch; returns SSE. If `grad` is non-nil it is overwritten with
    /// d(scale * SSE)/d(params) in the flat layout of `shape`.
    /// `states`, if non-nil, receives H [T+1, B, n].
    public static func run<S: TrainScalar>(shape: ModelShape, params: [S], x: [S], y: [S], batch B: Int, steps T: Int,
                                           scale: S, grad: inout [S]?, states: UnsafeMutablePointer<[S]>? = nil) -> S {
        precondition(shape.cell == .relu)
        let n = shape.hidden, p = shape.inputs, q = shape.outputs
        let oW = shape.slot("W").offset, oF = shape.slot("F").offset, ob = shape.slot("b").offset
        let oC = shape.slot("C").offset, oc = shape.slot("c").offset
        precondition(x.count == T * B * p && y.count == T * B * q && params.count == shape.parameterCount)

        // Forward: a = W h(t-1) + F x(t) + b;  h(t) = relu(a);  yhat = C h(t) + c.
        var H = [S](repeating: 0, count: (T + 1) * B * n)
        var DY = [S](repeating: 0, count: T * B * q)
        var sse: S = 0
        for t in 0..<T {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p
                for i in 0..<n {
                    var a = params[ob + i]
                    for k in 0..<p { a += params[oF + i * p + k] * x[xi + k] }
                    for j in 0..<n { a += params[oW + i * n + j] * H[prev + j] }
                    H[cur + i] = a < 0 ? 0 : a
                }
                for o in 0..<q {
                    var yh = params[oc + o]
                    for j in 0..<n { yh += params[oC + o * n + j] * H[cur + j] }
                    let e = yh - y[(t * B + b) * q + o]
                    sse += e * e
                    DY[(t * B + b) * q + o] = 2 * scale * e
                }
            }
        }
        states?.pointee = H
        guard grad != nil else { return sse }

        // Backward: dh(t) = C^T dy(t) + W^T da(t+1);  da(t) = dh(t) * [h(t) > 0];
        // dW += da(t) h(t-1)^T;  dF += da(t) x(t)^T;  db += da(t);  dC += dy(t) h(t)^T;  dc += dy(t).
        var g = [S](repeating: 0, count: shape.parameterCount)
        var daNext = [S](repeating: 0, count: B * n)
        var da = [S](repeating: 0, count: n)
        for t in stride(from: T - 1, through: 0, by: -1) {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p, yi = (t * B + b) * q
                for j in 0..<n {
                    var dh: S = 0
                    for o in 0..<q { dh += params[oC + o * n + j] * DY[yi + o] }
                    for i in 0..<n { dh += params[oW + i * n + j] * daNext[b * n + i] }
                    da[j] = H[cur + j] > 0 ? dh : 0
                }
                for o in 0..<q {
                    g[oc + o] += DY[yi + o]
                    for j in 0..<n { g[oC + o * n + j] += DY[yi + o] * H[cur + j] }
                }
                for i in 0..<n {
                    g[ob + i] += da[i]
                    for j in 0..<n { g[oW + i * n + j] += da[i] * H[prev + j] }
                    for k in 0..<p { g[oF + i * p + k] += da[i] * x[xi + k] }
                    daNext[b * n + i] = da[i]
                }
            }
        }
        grad = g
        return sse
    }
}
