import Foundation

// Plain reference of the sequence classifiers (pixel MNIST): the recurrence of RNNReference /
// LSTMReference, a readout of the LAST state only, and softmax cross-entropy. Generic over the
// scalar, so gradient checks run it in Double; the fast Float kernels (RNNClassifierKernel,
// LSTMClassifierKernel) are tested against it.
//
// Shapes: x [T, B, p] (batch-major per step), labels [B] in 0..<q, states H [T+1, B, n], H[0] = 0.
//   logits z = C h(T) + c;  loss_b = log sum_o e^(z_o) - z_(label b)   (max subtracted first)
//   objective = scale * sum_b loss_b;  dz = scale (softmax(z) - onehot(label))
// Returns the summed loss and the number of sequences whose argmax (first on ties) is the label.

public enum ClassifierReference {
    /// Softmax cross-entropy of one logit vector: (loss, argmax, dz / scale = softmax - onehot).
    static func softmaxCrossEntropy<S: TrainScalar>(_ z: [S], label: Int) -> (loss: S, argmax: Int, dz: [S]) {
        var m = z[0], arg = 0
        for o in 1..<z.count where z[o] > m { m = z[o]; arg = o }
        var e = z.map { S.exp($0 - m) }
        var s: S = 0
        for v in e { s += v }
        let loss = m + S(Foundation.log(Double(s))) - z[label]
        for o in 0..<e.count { e[o] = e[o] / s - (o == label ? 1 : 0) }
        return (loss, arg, e)
    }

    public static func run<S: TrainScalar>(shape: ModelShape, params: [S], x: [S], labels: [Int], batch B: Int, steps T: Int,
                                           scale: S, grad: inout [S]?) -> (loss: S, correct: Int) {
        switch shape.cell {
        case .relu: return rnn(shape: shape, params: params, x: x, labels: labels, batch: B, steps: T, scale: scale, grad: &grad)
        case .lstm: return lstm(shape: shape, params: params, x: x, labels: labels, batch: B, steps: T, scale: scale, grad: &grad)
        }
    }

    /// Logits of the last states, the loss, dz (already times scale) and the correct count.
    static func readout<S: TrainScalar>(shape: ModelShape, params: [S], last: (Int) -> [S], labels: [Int], batch B: Int,
                                        scale: S) -> (loss: S, correct: Int, dz: [[S]]) {
        let n = shape.hidden, q = shape.outputs
        let oC = shape.slot("C").offset, oc = shape.slot("c").offset
        var loss: S = 0, correct = 0, dz: [[S]] = []
        for b in 0..<B {
            let h = last(b)
            var z = [S](repeating: 0, count: q)
            for o in 0..<q {
                var v = params[oc + o]
                for j in 0..<n { v += params[oC + o * n + j] * h[j] }
                z[o] = v
            }
            let r = softmaxCrossEntropy(z, label: labels[b])
            loss += r.loss
            if r.argmax == labels[b] { correct += 1 }
            dz.append(r.dz.map { $0 * scale })
        }
        return (loss, correct, dz)
    }

    static func rnn<S: TrainScalar>(shape: ModelShape, params: [S], x: [S], labels: [Int], batch B: Int, steps T: Int,
                                    scale: S, grad: inout [S]?) -> (loss: S, correct: Int) {
        let n = shape.hidden, p = shape.inputs, q = shape.outputs
        let oW = shape.slot("W").offset, oF = shape.slot("F").offset, ob = shape.slot("b").offset
        let oC = shape.slot("C").offset, oc = shape.slot("c").offset
        precondition(x.count == T * B * p && labels.count == B && params.count == shape.parameterCount)
        // Forward: a = b + F x(t) + W h(t-1);  h(t) = relu(a).
        var H = [S](repeating: 0, count: (T + 1) * B * n)
        for t in 0..<T {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p
                for i in 0..<n {
                    var a = params[ob + i]
                    for k in 0..<p { a += params[oF + i * p + k] * x[xi + k] }
                    for j in 0..<n { a += params[oW + i * n + j] * H[prev + j] }
                    H[cur + i] = a < 0 ? 0 : a
                }
            }
        }
        let r = readout(shape: shape, params: params, last: { b in Array(H[((T * B + b) * n)..<((T * B + b + 1) * n)]) },
                        labels: labels, batch: B, scale: scale)
        guard grad != nil else { return (r.loss, r.correct) }

        // Backward: dC += dz h(T)^T;  dc += dz;  dh(T) = C^T dz;  dh(t) = W^T da(t+1) for t < T;
        // da(t) = dh(t) [h(t) > 0];  dW += da(t) h(t-1)^T;  dF += da(t) x(t)^T;  db += da(t).
        var g = [S](repeating: 0, count: shape.parameterCount)
        for b in 0..<B {
            let cur = (T * B + b) * n
            for o in 0..<q {
                g[oc + o] += r.dz[b][o]
                for j in 0..<n { g[oC + o * n + j] += r.dz[b][o] * H[cur + j] }
            }
        }
        var daNext = [S](repeating: 0, count: B * n)
        var da = [S](repeating: 0, count: n)
        for t in stride(from: T - 1, through: 0, by: -1) {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p
                for j in 0..<n {
                    var dh: S = 0
                    if t == T - 1 { for o in 0..<q { dh += params[oC + o * n + j] * r.dz[b][o] } }
                    for i in 0..<n { dh += params[oW + i * n + j] * daNext[b * n + i] }
                    da[j] = H[cur + j] > 0 ? dh : 0
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
        return (r.loss, r.correct)
    }

    static func lstm<S: TrainScalar>(shape: ModelShape, params: [S], x: [S], labels: [Int], batch B: Int, steps T: Int,
                                     scale: S, grad: inout [S]?) -> (loss: S, correct: Int) {
        let n = shape.hidden, p = shape.inputs, q = shape.outputs, r4 = 4 * n
        let oWx = shape.slot("Wx").offset, oWh = shape.slot("Wh").offset, ob = shape.slot("b").offset
        let oC = shape.slot("C").offset, oc = shape.slot("c").offset
        precondition(x.count == T * B * p && labels.count == B && params.count == shape.parameterCount)
        // Forward: z = b + Wx x(t) + Wh h(t-1);  i, f, o = sigmoid;  g = tanh;
        // c(t) = f c(t-1) + i g;  h(t) = o tanh(c(t)).
        var H = [S](repeating: 0, count: (T + 1) * B * n)
        var Cs = [S](repeating: 0, count: (T + 1) * B * n)
        var A = [S](repeating: 0, count: T * B * r4)
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
            }
        }
        let r = readout(shape: shape, params: params, last: { b in Array(H[((T * B + b) * n)..<((T * B + b + 1) * n)]) },
                        labels: labels, batch: B, scale: scale)
        guard grad != nil else { return (r.loss, r.correct) }

        // Backward (as LSTMReference, the readout's dh only at the last step):
        //   h = o tanh(c): do = dh tanh(c); dc += dh o (1 - tanh(c)^2)
        //   c = f c(t-1) + i g: di = dc g; dg = dc i; df = dc c(t-1); dc(t-1) = dc f
        //   dz = di i(1-i), df f(1-f), dg (1-g^2), do o(1-o);  dWx += dz x^T; dWh += dz h(t-1)^T; db += dz
        var g = [S](repeating: 0, count: shape.parameterCount)
        for b in 0..<B {
            let cur = (T * B + b) * n
            for o in 0..<q {
                g[oc + o] += r.dz[b][o]
                for j in 0..<n { g[oC + o * n + j] += r.dz[b][o] * H[cur + j] }
            }
        }
        var dzNext = [S](repeating: 0, count: B * r4)
        var dcNext = [S](repeating: 0, count: B * n)
        var dz = [S](repeating: 0, count: r4)
        for t in stride(from: T - 1, through: 0, by: -1) {
            for b in 0..<B {
                let prev = (t * B + b) * n, cur = ((t + 1) * B + b) * n, xi = (t * B + b) * p, ai = (t * B + b) * r4
                for j in 0..<n {
                    var dh: S = 0
                    if t == T - 1 { for o in 0..<q { dh += params[oC + o * n + j] * r.dz[b][o] } }
                    for rr in 0..<r4 { dh += params[oWh + rr * n + j] * dzNext[b * r4 + rr] }
                    let i = A[ai + j], f = A[ai + n + j], gg = A[ai + 2 * n + j], o = A[ai + 3 * n + j]
                    let tc = S.tanh(Cs[cur + j])
                    let dc = dh * o * (1 - tc * tc) + dcNext[b * n + j]
                    dz[j] = dc * gg * i * (1 - i)
                    dz[n + j] = dc * Cs[prev + j] * f * (1 - f)
                    dz[2 * n + j] = dc * i * (1 - gg * gg)
                    dz[3 * n + j] = dh * tc * o * (1 - o)
                    dcNext[b * n + j] = dc * f
                }
                for rr in 0..<r4 {
                    g[ob + rr] += dz[rr]
                    for k in 0..<p { g[oWx + rr * p + k] += dz[rr] * x[xi + k] }
                    for j in 0..<n { g[oWh + rr * n + j] += dz[rr] * H[prev + j] }
                    dzNext[b * r4 + rr] = dz[rr]
                }
            }
        }
        grad = g
        return (r.loss, r.correct)
    }
}
