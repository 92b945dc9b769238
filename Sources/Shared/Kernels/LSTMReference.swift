// Plain reference kernel of the LSTM with a linear readout, generic over the
// scalar (Double for gradient checks). The fast Float kernel is tested against it.
//
// Shapes: x [T, B, p], y [T, B, q]; gates per step [B, 4n] in order i, f, g, o.
//   z = Wx x(t) + Wh h(t-1) + b;  i, f, o = sigmoid;  g = tanh
//   c(t) = f c(t-1) + i g;  h(t) = o tanh(c(t));  yhat = C h(t) + c;  loss = scale * SSE.

public enum LSTMReference {
    /// Runs the batch; returns SSE; if `grad` is non-nil it is overwritten with d(scale * SSE)/d(params).
    public static func run<S: TrainScalar>(shape: ModelShape, params: [S], x: [S], y: [S], batch B: Int, steps T: Int,
                                           scale: S, grad: inout [S]?) -> S {
        precondition(shape.cell == .lstm)
        let n = shape.hidden, p = shape.inputs, q = shape.outputs, r4 = 4 * n
        let oWx = shape.slot("Wx").offset, oWh = shape.slot("Wh").offset, ob = shape.slot("b").offset
        let oC = shape.slot("C").offset, oc = shape.slot("c").offset
        precondition(x.count == T * B * p && y.count == T * B * q && params.count == shape.parameterCount)

        var H = [S](repeating: 0, count: (T + 1) * B * n)     // h(t), H[0] = 0
        var Cs = [S](repeating: 0, count: (T + 1) * B * n)    // c(t), Cs[0] = 0
        var A = [S](repeating: 0, count: T * B * r4)          // activated gates i, f, g, o
        var DY = [S](repeating: 0, count: T * B * q)
        var sse: S = 0
        for t in 0..<T {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p, ai = (t * B + b) * r4
                for r in 0..<r4 {
                    var z = params[ob + r]
                    for k in 0..<p { z += params[oWx + r * p + k] * x[xi + k] }
                    for j in 0..<n { z += params[oWh + r * n + j] * H[prev + j] }
                    A[ai + r] = (r / n == 2) ? S.tanh(z) : S.sigmoid(z)
                }
                for j in 0..<n {
                    let i = A[ai + j], f = A[ai + n + j], gg = A[ai + 2 * n + j], o = A[ai + 3 * n + j]
                    Cs[cur + j] = f * Cs[prev + j] + i * gg
                    H[cur + j] = o * S.tanh(Cs[cur + j])
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
        guard grad != nil else { return sse }

        // Backward, quoting the forward lines:
        //   h = o tanh(c):          do = dh tanh(c);  dc += dh o (1 - tanh(c)^2)
        //   c = f c(t-1) + i g:      di = dc g;  dg = dc i;  df = dc c(t-1);  dc(t-1) = dc f
        //   gates:                   dz = di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)
        //   z = Wx x + Wh h(t-1) + b: dWx += dz x^T;  dWh += dz h(t-1)^T;  db += dz;  dh(t-1) = Wh^T dz
        var g = [S](repeating: 0, count: shape.parameterCount)
        var dzNext = [S](repeating: 0, count: B * r4)
        var dcNext = [S](repeating: 0, count: B * n)
        var dz = [S](repeating: 0, count: r4)
        for t in stride(from: T - 1, through: 0, by: -1) {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p
                let ai = (t * B + b) * r4, yi = (t * B + b) * q
                for j in 0..<n {
                    var dh: S = 0
                    for o in 0..<q { dh += params[oC + o * n + j] * DY[yi + o] }
                    for r in 0..<r4 { dh += params[oWh + r * n + j] * dzNext[b * r4 + r] }
                    let i = A[ai + j], f = A[ai + n + j], gg = A[ai + 2 * n + j], o = A[ai + 3 * n + j]
                    let tc = S.tanh(Cs[cur + j])
                    let dO = dh * tc
                    let dc = dh * o * (1 - tc * tc) + dcNext[b * n + j]
                    dz[j] = dc * gg * i * (1 - i)
                    dz[n + j] = dc * Cs[prev + j] * f * (1 - f)
                    dz[2 * n + j] = dc * i * (1 - gg * gg)
                    dz[3 * n + j] = dO * o * (1 - o)
                    dcNext[b * n + j] = dc * f
                }
                for o in 0..<q {
                    g[oc + o] += DY[yi + o]
                    for j in 0..<n { g[oC + o * n + j] += DY[yi + o] * H[cur + j] }
                }
                for r in 0..<r4 {
                    g[ob + r] += dz[r]
                    for k in 0..<p { g[oWx + r * p + k] += dz[r] * x[xi + k] }
                    for j in 0..<n { g[oWh + r * n + j] += dz[r] * H[prev + j] }
                    dzNext[b * r4 + r] = dz[r]
                }
            }
        }
        grad = g
        return sse
    }
}
