// Fast Float kernel of the ReLU RNN classifier (last-state softmax readout). Twin of
// ClassifierReference.rnn; every sum runs in the reference's order, so the recurrence and the
// gradients of W, F, b agree with the reference in Float to the last bit up to the softmax's exp.
//
// At pMNIST's batch 64 each step is a matrix product: the states of 4 sequences are computed
// together, two 8-lane blocks at a time, so every weight row loaded feeds 8 independent
// multiply-add chains (register blocking over the batch; 4 chains were bound by the add latency).
// A state is nPad = ceil(n / 8) * 8 floats (padding lanes stay exactly 0), handled 8 lanes at a time.
//   forward   a = b + sum_k F[:,k] x_k + sum_j W[:,j] h(t-1)_j;  h(t) = relu(a)     (WT: columns of W)
//   backward  dh = [t = T-1] C^T dz + sum_i W[i,:] da(t+1)_i;  da = dh [h(t) > 0]   (Wr: rows of W)
//             dW[i,:] += da_i h(t-1);  dF[:,k] += da x_k;  db += da   (t descending, b ascending)
// Memory: H [(T+1), maxB, nPad] and two da rows, allocated once; nothing is allocated per call.
// Only IEEE multiplies and adds, lane-wise, written `a * b + c` (never fused): the same bits in
// SSE and AVX2 builds.

final class RNNClassifierKernel: ClassifierKernel {
    typealias V = SIMD8<Float>
    let shape: ModelShape
    let steps: Int
    let maxBatch: Int
    private let n: Int, p: Int, q: Int, nPad: Int
    private let ws: Workspace
    private let f: UnsafeMutablePointer<Float>
    // Float offsets into f.
    private let oWT: Int, oWr: Int, oFT: Int, oBias: Int, oC: Int, oc: Int
    private let oGW: Int, oGF: Int, oGb: Int, oGC: Int, oGc: Int
    private let oH: Int, oDA: Int, oDAn: Int, oZ: Int, oDZ: Int, oE: Int
    private let readout: SoftmaxReadout

    init(shape: ModelShape, steps: Int, maxBatch: Int) {
        precondition(shape.cell == .relu && steps >= 1 && maxBatch >= 1)
        self.shape = shape; self.steps = steps; self.maxBatch = maxBatch
        n = shape.hidden; p = shape.inputs; q = shape.outputs
        nPad = (n + 7) / 8 * 8
        var o = 0
        func take(_ count: Int) -> Int { defer { o += (count + 15) / 16 * 16 }; return o }
        oWT = take(n * nPad); oWr = take(n * nPad); oFT = take(p * nPad); oBias = take(nPad)
        oC = take(q * n); oc = take(q)
        oGW = take(n * nPad); oGF = take(p * nPad); oGb = take(nPad); oGC = take(q * n); oGc = take(q)
        oH = take((steps + 1) * maxBatch * nPad); oDA = take(maxBatch * nPad); oDAn = take(maxBatch * nPad)
        oZ = take(maxBatch * q); oDZ = take(maxBatch * q); oE = take((q + 7) / 8 * 8)
        ws = Workspace(bytes: o * 4)
        f = ws.raw.bindMemory(to: Float.self, capacity: o)
        readout = SoftmaxReadout(n: n, q: q, e: f + oE)
    }

    @inline(__always) private func v(_ i: Int) -> V { ws.raw.load(fromByteOffset: i * 4, as: V.self) }
    @inline(__always) private func set(_ i: Int, _ x: V) { ws.raw.storeBytes(of: x, toByteOffset: i * 4, as: V.self) }

    private func pack(_ params: UnsafePointer<Float>) {
        let W = shape.slot("W").offset, F = shape.slot("F").offset, b = shape.slot("b").offset
        let C = shape.slot("C").offset, c = shape.slot("c").offset
        ws.zero(offset: oWT * 4, count: (oC - oWT) * 4)
        for i in 0..<n {
            for j in 0..<n { f[oWT + j * nPad + i] = params[W + i * n + j]; f[oWr + i * nPad + j] = params[W + i * n + j] }
            for k in 0..<p { f[oFT + k * nPad + i] = params[F + i * p + k] }
            f[oBias + i] = params[b + i]
        }
        for i in 0..<(q * n) { f[oC + i] = params[C + i] }
        for o in 0..<q { f[oc + o] = params[c + o] }
    }

    private func unpack(_ grad: UnsafeMutablePointer<Float>) {
        let W = shape.slot("W").offset, F = shape.slot("F").offset, b = shape.slot("b").offset
        let C = shape.slot("C").offset, c = shape.slot("c").offset
        for i in 0..<n {
            for j in 0..<n { grad[W + i * n + j] = f[oGW + i * nPad + j] }
            for k in 0..<p { grad[F + i * p + k] = f[oGF + k * nPad + i] }
            grad[b + i] = f[oGb + i]
        }
        for i in 0..<(q * n) { grad[C + i] = f[oGC + i] }
        for o in 0..<q { grad[c + o] = f[oGc + o] }
    }

    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch B: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> (loss: Double, correct: Int) {
        precondition(B >= 1 && B <= maxBatch)
        pack(params)
        let T = steps, row = maxBatch * nPad
        // Forward. H[0] = 0.
        ws.zero(offset: oH * 4, count: B * nPad * 4)
        for t in 0..<T {
            let hPrev = oH + t * row, hCur = hPrev + row
            let xt = x + t * B * p
            // Four sequences at a time; a short last group repeats its last sequence (same values).
            for b0 in stride(from: 0, to: B, by: 4) {
                let b1 = min(b0 + 1, B - 1), b2 = min(b0 + 2, B - 1), b3 = min(b0 + 3, B - 1)
                let h0 = f + hPrev + b0 * nPad, h1 = f + hPrev + b1 * nPad, h2 = f + hPrev + b2 * nPad, h3 = f + hPrev + b3 * nPad
                var blk = 0
                // Two 8-lane blocks at a time: 8 independent chains per weight row (4 sequences x 2 blocks).
                while blk + 8 < nPad {
                    var a0 = v(oBias + blk), a1 = a0, a2 = a0, a3 = a0
                    var c0 = v(oBias + blk + 8), c1 = c0, c2 = c0, c3 = c0
                    for k in 0..<p {
                        let w = v(oFT + k * nPad + blk), u = v(oFT + k * nPad + blk + 8)
                        let x0 = xt[b0 * p + k], x1 = xt[b1 * p + k], x2 = xt[b2 * p + k], x3 = xt[b3 * p + k]
                        a0 = w * x0 + a0; a1 = w * x1 + a1; a2 = w * x2 + a2; a3 = w * x3 + a3
                        c0 = u * x0 + c0; c1 = u * x1 + c1; c2 = u * x2 + c2; c3 = u * x3 + c3
                    }
                    var wj = oWT + blk
                    for j in 0..<n {
                        let w = v(wj), u = v(wj + 8)
                        let s0 = h0[j], s1 = h1[j], s2 = h2[j], s3 = h3[j]
                        a0 = w * s0 + a0; a1 = w * s1 + a1; a2 = w * s2 + a2; a3 = w * s3 + a3
                        c0 = u * s0 + c0; c1 = u * s1 + c1; c2 = u * s2 + c2; c3 = u * s3 + c3
                        wj += nPad
                    }
                    set(hCur + b0 * nPad + blk, Lanes.relu(a0)); set(hCur + b1 * nPad + blk, Lanes.relu(a1))
                    set(hCur + b2 * nPad + blk, Lanes.relu(a2)); set(hCur + b3 * nPad + blk, Lanes.relu(a3))
                    set(hCur + b0 * nPad + blk + 8, Lanes.relu(c0)); set(hCur + b1 * nPad + blk + 8, Lanes.relu(c1))
                    set(hCur + b2 * nPad + blk + 8, Lanes.relu(c2)); set(hCur + b3 * nPad + blk + 8, Lanes.relu(c3))
                    blk += 16
                }
                for blk in stride(from: blk, to: nPad, by: 8) {
                    var a0 = v(oBias + blk), a1 = a0, a2 = a0, a3 = a0
                    for k in 0..<p {
                        let w = v(oFT + k * nPad + blk)
                        a0 = w * xt[b0 * p + k] + a0; a1 = w * xt[b1 * p + k] + a1
                        a2 = w * xt[b2 * p + k] + a2; a3 = w * xt[b3 * p + k] + a3
                    }
                    var wj = oWT + blk
                    for j in 0..<n {
                        let w = v(wj)
                        a0 = w * h0[j] + a0; a1 = w * h1[j] + a1; a2 = w * h2[j] + a2; a3 = w * h3[j] + a3
                        wj += nPad
                    }
                    set(hCur + b0 * nPad + blk, Lanes.relu(a0)); set(hCur + b1 * nPad + blk, Lanes.relu(a1))
                    set(hCur + b2 * nPad + blk, Lanes.relu(a2)); set(hCur + b3 * nPad + blk, Lanes.relu(a3))
                }
            }
        }
        // Readout of h(T).
        var loss = 0.0, correct = 0
        let hT = oH + T * row
        let training = grad != nil
        for b in 0..<B {
            readout.logits(C: f + oC, c: f + oc, h: f + hT + b * nPad, z: f + oZ + b * q)
            let (l, ok) = readout.crossEntropy(z: f + oZ + b * q, label: Int(labels[b]), scale: scale,
                                               dz: training ? f + oDZ + b * q : nil)
            loss += l
            if ok { correct += 1 }
        }
        guard let grad else { return (loss, correct) }

        // Backward.
        ws.zero(offset: oGW * 4, count: (oH - oGW) * 4)
        for b in 0..<B {
            for o in 0..<q {
                let dz = f[oDZ + b * q + o]
                f[oGc + o] += dz
                for j in 0..<n { f[oGC + o * n + j] += dz * f[hT + b * nPad + j] }
            }
        }
        var daNext = oDAn, daCur = oDA
        ws.zero(offset: daNext * 4, count: B * nPad * 4)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let hPrev = oH + t * row, hCur = hPrev + row
            let xt = x + t * B * p
            let last = t == T - 1
            for b0 in stride(from: 0, to: B, by: 4) {
                let b1 = min(b0 + 1, B - 1), b2 = min(b0 + 2, B - 1), b3 = min(b0 + 3, B - 1)
                let d0 = f + daNext + b0 * nPad, d1 = f + daNext + b1 * nPad, d2 = f + daNext + b2 * nPad, d3 = f + daNext + b3 * nPad
                var blk = 0
                // Two 8-lane blocks at a time (8 chains), except at the last step (readout term below).
                while blk + 8 < nPad && !last {
                    var g0 = V(), g1 = V(), g2 = V(), g3 = V(), e0 = V(), e1 = V(), e2 = V(), e3 = V()
                    var wi = oWr + blk
                    for i in 0..<n {
                        let w = v(wi), u = v(wi + 8)
                        let s0 = d0[i], s1 = d1[i], s2 = d2[i], s3 = d3[i]
                        g0 = w * s0 + g0; g1 = w * s1 + g1; g2 = w * s2 + g2; g3 = w * s3 + g3
                        e0 = u * s0 + e0; e1 = u * s1 + e1; e2 = u * s2 + e2; e3 = u * s3 + e3
                        wi += nPad
                    }
                    set(daCur + b0 * nPad + blk, Lanes.keep(g0, wherePositive: v(hCur + b0 * nPad + blk)))
                    set(daCur + b1 * nPad + blk, Lanes.keep(g1, wherePositive: v(hCur + b1 * nPad + blk)))
                    set(daCur + b2 * nPad + blk, Lanes.keep(g2, wherePositive: v(hCur + b2 * nPad + blk)))
                    set(daCur + b3 * nPad + blk, Lanes.keep(g3, wherePositive: v(hCur + b3 * nPad + blk)))
                    let bk = blk + 8
                    set(daCur + b0 * nPad + bk, Lanes.keep(e0, wherePositive: v(hCur + b0 * nPad + bk)))
                    set(daCur + b1 * nPad + bk, Lanes.keep(e1, wherePositive: v(hCur + b1 * nPad + bk)))
                    set(daCur + b2 * nPad + bk, Lanes.keep(e2, wherePositive: v(hCur + b2 * nPad + bk)))
                    set(daCur + b3 * nPad + bk, Lanes.keep(e3, wherePositive: v(hCur + b3 * nPad + bk)))
                    blk += 16
                }
                for blk in stride(from: blk, to: nPad, by: 8) {
                    var g0 = V(), g1 = V(), g2 = V(), g3 = V()
                    if last {
                        for o in 0..<q {
                            var cv = V()
                            for l in 0..<min(8, n - blk) { cv[l] = f[oC + o * n + blk + l] }
                            g0 = cv * f[oDZ + b0 * q + o] + g0; g1 = cv * f[oDZ + b1 * q + o] + g1
                            g2 = cv * f[oDZ + b2 * q + o] + g2; g3 = cv * f[oDZ + b3 * q + o] + g3
                        }
                    }
                    var wi = oWr + blk
                    for i in 0..<n {
                        let w = v(wi)
                        g0 = w * d0[i] + g0; g1 = w * d1[i] + g1; g2 = w * d2[i] + g2; g3 = w * d3[i] + g3
                        wi += nPad
                    }
                    set(daCur + b0 * nPad + blk, Lanes.keep(g0, wherePositive: v(hCur + b0 * nPad + blk)))
                    set(daCur + b1 * nPad + blk, Lanes.keep(g1, wherePositive: v(hCur + b1 * nPad + blk)))
                    set(daCur + b2 * nPad + blk, Lanes.keep(g2, wherePositive: v(hCur + b2 * nPad + blk)))
                    set(daCur + b3 * nPad + blk, Lanes.keep(g3, wherePositive: v(hCur + b3 * nPad + blk)))
                }
            }
            // Weight gradients of step t, sequences in ascending order.
            for b in 0..<B {
                let da = daCur + b * nPad
                for blk in stride(from: 0, to: nPad, by: 8) {
                    let d = v(da + blk)
                    set(oGb + blk, d + v(oGb + blk))
                    for k in 0..<p { set(oGF + k * nPad + blk, d * xt[b * p + k] + v(oGF + k * nPad + blk)) }
                }
            }
            // dW[i, :] += da_i h(t-1), four sequences per pass over dW (each element still b ascending).
            var b0 = 0
            while b0 < B {
                let cnt = min(4, B - b0)
                let hp = hPrev + b0 * nPad, da = daCur + b0 * nPad
                for i in 0..<n {
                    let s0 = f[da + i], s1 = f[da + nPad + i], s2 = f[da + 2 * nPad + i], s3 = f[da + 3 * nPad + i]
                    for blk in stride(from: 0, to: nPad, by: 8) {
                        var g = v(oGW + i * nPad + blk)
                        g = v(hp + blk) * s0 + g
                        if cnt > 1 { g = v(hp + nPad + blk) * s1 + g }
                        if cnt > 2 { g = v(hp + 2 * nPad + blk) * s2 + g }
                        if cnt > 3 { g = v(hp + 3 * nPad + blk) * s3 + g }
                        set(oGW + i * nPad + blk, g)
                    }
                }
                b0 += 4
            }
            swap(&daNext, &daCur)
        }
        unpack(grad)
        return (loss, correct)
    }
}
