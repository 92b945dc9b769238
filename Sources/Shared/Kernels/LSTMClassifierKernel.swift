// Fast Float kernel of the LSTM classifier (last-state softmax readout). Twin of
// ClassifierReference.lstm; sums run in the reference's order; gates use VectorMath's sigmoid and
// tanh (abs. error < 3e-7, the same bits on every CPU) where the reference uses libm.
//
// Gates i, f, g, o (Keras order). Per (t, b) the pre-activations / activated gates are 4 blocks of
// nPad = ceil(n / 8) * 8 floats; states h, c, tanh(c) are nPad floats (padding lanes stay 0).
//   forward   z_g = b_g + sum_k Wx_g[:,k] x_k + sum_j Wh_g[:,j] h(t-1)_j  (4 sequences x 2 blocks per weight row)
//             c(t) = f c(t-1) + i g;  h(t) = o tanh(c(t))
//   backward  dh = [t = T-1] C^T dz + sum_{g,r} Wh_g[r,:] dz_g(t+1)_r
//             dc = dh o (1 - tanh^2 c) + dc(t+1) f(t+1);  dz_i = dc g i(1-i);  dz_f = dc c(t-1) f(1-f)
//             dz_g = dc i (1-g^2);  dz_o = dh tanh(c) o(1-o)
//             dWh_g[r,:] += dz_g,r h(t-1);  dWx_g[:,k] += dz_g x_k;  db_g += dz_g   (t desc, b asc)
// Memory: gates [T, maxB, 4 nPad] and h, c, tanh c [(T+1), maxB, nPad]: 180 MB at T = 784,
// batch 64, 128 units; allocated once per kernel.

final class LSTMClassifierKernel: ClassifierKernel {
    typealias V = SIMD8<Float>
    let shape: ModelShape
    let steps: Int
    let maxBatch: Int
    private let n: Int, p: Int, q: Int, nPad: Int, gRow: Int
    private let ws: Workspace
    private let f: UnsafeMutablePointer<Float>
    private let oWxT: Int, oWhT: Int, oWhR: Int, oBias: Int, oC: Int, oc: Int
    private let oGWx: Int, oGWh: Int, oGb: Int, oGC: Int, oGc: Int
    private let oH: Int, oCs: Int, oTC: Int, oG: Int, oDZ: Int, oDZn: Int, oDC: Int, oZ: Int, oDZout: Int, oE: Int
    private let readout: SoftmaxReadout

    init(shape: ModelShape, steps: Int, maxBatch: Int) {
        precondition(shape.cell == .lstm && steps >= 1 && maxBatch >= 1)
        self.shape = shape; self.steps = steps; self.maxBatch = maxBatch
        n = shape.hidden; p = shape.inputs; q = shape.outputs
        nPad = (n + 7) / 8 * 8
        gRow = 4 * nPad
        var o = 0
        func take(_ count: Int) -> Int { defer { o += (count + 15) / 16 * 16 }; return o }
        oWxT = take(p * gRow); oWhT = take(n * gRow); oWhR = take(4 * n * nPad); oBias = take(gRow)
        oC = take(q * n); oc = take(q)
        oGWx = take(p * gRow); oGWh = take(4 * n * nPad); oGb = take(gRow); oGC = take(q * n); oGc = take(q)
        let state = (steps + 1) * maxBatch * nPad
        oH = take(state); oCs = take(state); oTC = take(state); oG = take(steps * maxBatch * gRow)
        oDZ = take(maxBatch * gRow); oDZn = take(maxBatch * gRow); oDC = take(maxBatch * nPad)
        oZ = take(maxBatch * q); oDZout = take(maxBatch * q); oE = take((q + 7) / 8 * 8)
        ws = Workspace(bytes: o * 4)
        f = ws.raw.bindMemory(to: Float.self, capacity: o)
        readout = SoftmaxReadout(n: n, q: q, e: f + oE)
    }

    @inline(__always) private func v(_ i: Int) -> V { ws.raw.load(fromByteOffset: i * 4, as: V.self) }
    @inline(__always) private func set(_ i: Int, _ x: V) { ws.raw.storeBytes(of: x, toByteOffset: i * 4, as: V.self) }

    private func pack(_ params: UnsafePointer<Float>) {
        let Wx = shape.slot("Wx").offset, Wh = shape.slot("Wh").offset, b = shape.slot("b").offset
        let C = shape.slot("C").offset, c = shape.slot("c").offset
        ws.zero(offset: oWxT * 4, count: (oC - oWxT) * 4)
        for g in 0..<4 {
            for i in 0..<n {
                let r = g * n + i, col = g * nPad + i
                for k in 0..<p { f[oWxT + k * gRow + col] = params[Wx + r * p + k] }
                for j in 0..<n {
                    f[oWhT + j * gRow + col] = params[Wh + r * n + j]
                    f[oWhR + r * nPad + j] = params[Wh + r * n + j]
                }
                f[oBias + col] = params[b + r]
            }
        }
        for i in 0..<(q * n) { f[oC + i] = params[C + i] }
        for o in 0..<q { f[oc + o] = params[c + o] }
    }

    private func unpack(_ grad: UnsafeMutablePointer<Float>) {
        let Wx = shape.slot("Wx").offset, Wh = shape.slot("Wh").offset, b = shape.slot("b").offset
        let C = shape.slot("C").offset, c = shape.slot("c").offset
        for g in 0..<4 {
            for i in 0..<n {
                let r = g * n + i, col = g * nPad + i
                for k in 0..<p { grad[Wx + r * p + k] = f[oGWx + k * gRow + col] }
                for j in 0..<n { grad[Wh + r * n + j] = f[oGWh + r * nPad + j] }
                grad[b + r] = f[oGb + col]
            }
        }
        for i in 0..<(q * n) { grad[C + i] = f[oGC + i] }
        for o in 0..<q { grad[c + o] = f[oGc + o] }
    }

    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch B: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> (loss: Double, correct: Int) {
        precondition(B >= 1 && B <= maxBatch)
        pack(params)
        let T = steps, row = maxBatch * nPad, gr = maxBatch * gRow
        let one = V(repeating: 1)
        ws.zero(offset: oH * 4, count: B * nPad * 4)
        ws.zero(offset: oCs * 4, count: B * nPad * 4)
        for t in 0..<T {
            let hPrev = oH + t * row, hCur = hPrev + row, cPrev = oCs + t * row, cCur = cPrev + row
            let gt = oG + t * gr, xt = x + t * B * p
            // Pre-activations, four sequences per weight load (a short group repeats its last one).
            for b0 in stride(from: 0, to: B, by: 4) {
                let b1 = min(b0 + 1, B - 1), b2 = min(b0 + 2, B - 1), b3 = min(b0 + 3, B - 1)
                let h0 = f + hPrev + b0 * nPad, h1 = f + hPrev + b1 * nPad, h2 = f + hPrev + b2 * nPad, h3 = f + hPrev + b3 * nPad
                var col = 0
                // Two 8-lane blocks at a time: 8 independent chains per weight row (gRow is a multiple of 32).
                while col + 8 < gRow {
                    var a0 = v(oBias + col), a1 = a0, a2 = a0, a3 = a0
                    var c0 = v(oBias + col + 8), c1 = c0, c2 = c0, c3 = c0
                    for k in 0..<p {
                        let w = v(oWxT + k * gRow + col), u = v(oWxT + k * gRow + col + 8)
                        let x0 = xt[b0 * p + k], x1 = xt[b1 * p + k], x2 = xt[b2 * p + k], x3 = xt[b3 * p + k]
                        a0 = w * x0 + a0; a1 = w * x1 + a1; a2 = w * x2 + a2; a3 = w * x3 + a3
                        c0 = u * x0 + c0; c1 = u * x1 + c1; c2 = u * x2 + c2; c3 = u * x3 + c3
                    }
                    var wj = oWhT + col
                    for j in 0..<n {
                        let w = v(wj), u = v(wj + 8)
                        let s0 = h0[j], s1 = h1[j], s2 = h2[j], s3 = h3[j]
                        a0 = w * s0 + a0; a1 = w * s1 + a1; a2 = w * s2 + a2; a3 = w * s3 + a3
                        c0 = u * s0 + c0; c1 = u * s1 + c1; c2 = u * s2 + c2; c3 = u * s3 + c3
                        wj += gRow
                    }
                    set(gt + b0 * gRow + col, a0); set(gt + b1 * gRow + col, a1)
                    set(gt + b2 * gRow + col, a2); set(gt + b3 * gRow + col, a3)
                    set(gt + b0 * gRow + col + 8, c0); set(gt + b1 * gRow + col + 8, c1)
                    set(gt + b2 * gRow + col + 8, c2); set(gt + b3 * gRow + col + 8, c3)
                    col += 16
                }
                for col in stride(from: col, to: gRow, by: 8) {
                    var a0 = v(oBias + col), a1 = a0, a2 = a0, a3 = a0
                    for k in 0..<p {
                        let w = v(oWxT + k * gRow + col)
                        a0 = w * xt[b0 * p + k] + a0; a1 = w * xt[b1 * p + k] + a1
                        a2 = w * xt[b2 * p + k] + a2; a3 = w * xt[b3 * p + k] + a3
                    }
                    var wj = oWhT + col
                    for j in 0..<n {
                        let w = v(wj)
                        a0 = w * h0[j] + a0; a1 = w * h1[j] + a1; a2 = w * h2[j] + a2; a3 = w * h3[j] + a3
                        wj += gRow
                    }
                    set(gt + b0 * gRow + col, a0); set(gt + b1 * gRow + col, a1)
                    set(gt + b2 * gRow + col, a2); set(gt + b3 * gRow + col, a3)
                }
            }
            // Gates, cell and state.
            for b in 0..<B {
                let gb = gt + b * gRow
                for blk in stride(from: 0, to: nPad, by: 8) {
                    let i = VectorMath.sigmoid(v(gb + blk)), fg = VectorMath.sigmoid(v(gb + nPad + blk))
                    let g = VectorMath.tanh(v(gb + 2 * nPad + blk)), o = VectorMath.sigmoid(v(gb + 3 * nPad + blk))
                    let c = fg * v(cPrev + b * nPad + blk) + i * g
                    let tc = VectorMath.tanh(c)
                    set(gb + blk, i); set(gb + nPad + blk, fg); set(gb + 2 * nPad + blk, g); set(gb + 3 * nPad + blk, o)
                    set(cCur + b * nPad + blk, c)
                    set(oTC + (t + 1) * row + b * nPad + blk, tc)
                    set(hCur + b * nPad + blk, o * tc)
                }
            }
        }
        var loss = 0.0, correct = 0
        let hT = oH + T * row
        let training = grad != nil
        for b in 0..<B {
            readout.logits(C: f + oC, c: f + oc, h: f + hT + b * nPad, z: f + oZ + b * q)
            let (l, ok) = readout.crossEntropy(z: f + oZ + b * q, label: Int(labels[b]), scale: scale,
                                               dz: training ? f + oDZout + b * q : nil)
            loss += l
            if ok { correct += 1 }
        }
        guard let grad else { return (loss, correct) }

        ws.zero(offset: oGWx * 4, count: (oH - oGWx) * 4)
        for b in 0..<B {
            for o in 0..<q {
                let dz = f[oDZout + b * q + o]
                f[oGc + o] += dz
                for j in 0..<n { f[oGC + o * n + j] += dz * f[hT + b * nPad + j] }
            }
        }
        var dzNext = oDZn, dzCur = oDZ
        ws.zero(offset: dzNext * 4, count: B * gRow * 4)
        ws.zero(offset: oDC * 4, count: B * nPad * 4)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let hPrev = oH + t * row, cPrev = oCs + t * row
            let gt = oG + t * gr, xt = x + t * B * p
            let last = t == T - 1
            // Cell backward of sequence b, block blk, given its dh.
            @inline(__always) func cell(_ b: Int, _ blk: Int, _ dh: V) {
                let gb = gt + b * gRow
                let i = v(gb + blk), fg = v(gb + nPad + blk), g = v(gb + 2 * nPad + blk), o = v(gb + 3 * nPad + blk)
                let tc = v(oTC + (t + 1) * row + b * nPad + blk)
                let dcOff = oDC + b * nPad + blk
                let dc = dh * o * (one - tc * tc) + v(dcOff)
                let dzb = dzCur + b * gRow + blk
                set(dzb, dc * g * i * (one - i))
                set(dzb + nPad, dc * v(cPrev + b * nPad + blk) * fg * (one - fg))
                set(dzb + 2 * nPad, dc * i * (one - g * g))
                set(dzb + 3 * nPad, dh * tc * o * (one - o))
                set(dcOff, dc * fg)
            }
            for b0 in stride(from: 0, to: B, by: 4) {
                let b1 = min(b0 + 1, B - 1), b2 = min(b0 + 2, B - 1), b3 = min(b0 + 3, B - 1)
                let d0 = f + dzNext + b0 * gRow, d1 = f + dzNext + b1 * gRow
                let d2 = f + dzNext + b2 * gRow, d3 = f + dzNext + b3 * gRow
                var blk = 0
                // Two 8-lane blocks at a time (8 chains), except at the last step (readout term below).
                while blk + 8 < nPad && !last {
                    var g0 = V(), g1 = V(), g2 = V(), g3 = V(), e0 = V(), e1 = V(), e2 = V(), e3 = V()
                    for g in 0..<4 {
                        var wr = oWhR + g * n * nPad + blk
                        let base = g * nPad
                        for i in 0..<n {
                            let w = v(wr), u = v(wr + 8)
                            let s0 = d0[base + i], s1 = d1[base + i], s2 = d2[base + i], s3 = d3[base + i]
                            g0 = w * s0 + g0; g1 = w * s1 + g1; g2 = w * s2 + g2; g3 = w * s3 + g3
                            e0 = u * s0 + e0; e1 = u * s1 + e1; e2 = u * s2 + e2; e3 = u * s3 + e3
                            wr += nPad
                        }
                    }
                    cell(b0, blk, g0); cell(b0, blk + 8, e0)
                    if b0 + 1 < B { cell(b1, blk, g1); cell(b1, blk + 8, e1) }
                    if b0 + 2 < B { cell(b2, blk, g2); cell(b2, blk + 8, e2) }
                    if b0 + 3 < B { cell(b3, blk, g3); cell(b3, blk + 8, e3) }
                    blk += 16
                }
                for blk in stride(from: blk, to: nPad, by: 8) {
                    var g0 = V(), g1 = V(), g2 = V(), g3 = V()
                    if last {
                        for o in 0..<q {
                            var cv = V()
                            for l in 0..<min(8, n - blk) { cv[l] = f[oC + o * n + blk + l] }
                            g0 = cv * f[oDZout + b0 * q + o] + g0; g1 = cv * f[oDZout + b1 * q + o] + g1
                            g2 = cv * f[oDZout + b2 * q + o] + g2; g3 = cv * f[oDZout + b3 * q + o] + g3
                        }
                    }
                    // sum over gates g and rows r of Wh_g[r, :] dz_g(t+1)_r, r = g n + i ascending.
                    for g in 0..<4 {
                        var wr = oWhR + g * n * nPad + blk
                        let base = g * nPad
                        for i in 0..<n {
                            let w = v(wr)
                            g0 = w * d0[base + i] + g0; g1 = w * d1[base + i] + g1
                            g2 = w * d2[base + i] + g2; g3 = w * d3[base + i] + g3
                            wr += nPad
                        }
                    }
                    cell(b0, blk, g0)
                    if b0 + 1 < B { cell(b1, blk, g1) }
                    if b0 + 2 < B { cell(b2, blk, g2) }
                    if b0 + 3 < B { cell(b3, blk, g3) }
                }
            }
            // db, dWx of step t, sequences ascending.
            for b in 0..<B {
                let dz = dzCur + b * gRow
                for col in stride(from: 0, to: gRow, by: 8) {
                    let d = v(dz + col)
                    set(oGb + col, d + v(oGb + col))
                    for k in 0..<p { set(oGWx + k * gRow + col, d * xt[b * p + k] + v(oGWx + k * gRow + col)) }
                }
            }
            // dWh[r, :] += dz_r h(t-1), four sequences per pass (each element still b ascending).
            var b0 = 0
            while b0 < B {
                let cnt = min(4, B - b0)
                let hp = hPrev + b0 * nPad, dz = dzCur + b0 * gRow
                for g in 0..<4 {
                    for i in 0..<n {
                        let r = g * n + i, col = g * nPad + i
                        let s0 = f[dz + col]
                        let s1 = cnt > 1 ? f[dz + gRow + col] : 0, s2 = cnt > 2 ? f[dz + 2 * gRow + col] : 0
                        let s3 = cnt > 3 ? f[dz + 3 * gRow + col] : 0
                        for blk in stride(from: 0, to: nPad, by: 8) {
                            var acc = v(oGWh + r * nPad + blk)
                            acc = v(hp + blk) * s0 + acc
                            if cnt > 1 { acc = v(hp + nPad + blk) * s1 + acc }
                            if cnt > 2 { acc = v(hp + 2 * nPad + blk) * s2 + acc }
                            if cnt > 3 { acc = v(hp + 3 * nPad + blk) * s3 + acc }
                            set(oGWh + r * nPad + blk, acc)
                        }
                    }
                }
                b0 += 4
            }
            swap(&dzNext, &dzCur)
        }
        unpack(grad)
        return (loss, correct)
    }
}
