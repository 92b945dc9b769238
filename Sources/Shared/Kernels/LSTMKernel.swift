// Fast Float kernel of the LSTM with linear readout, any hidden size n.
// Twin of LSTMReference; gates in Keras order i, f, g, o. One state (and one gate) is `nb`
// consecutive vectors V (nb = ceil(n / lanes): 1 up to 16 units, then blocks of 16 lanes); every
// vector operation runs block by block, and with nb = 1 exactly as a one-vector kernel would.
//
//   forward   z_g = b_g + sum_k Wx_g[:,k] x_k + sum_j Wh_g[:,j] h(t-1)_j   (g = i, f, g, o)
//             c(t) = f c(t-1) + i g;  h(t) = o tanh(c(t))
//   backward  dh = sum_o C[o,:] dy_o + sum_{g,r} Wh_g[r,:] dz_g(t+1)_r
//             dc = dh o (1 - tanh^2 c) + dc(t+1) f(t+1);  dz_i = dc g i(1-i);  dz_f = dc c(t-1) f(1-f)
//             dz_g = dc i (1-g^2);  dz_o = dh tanh(c) o(1-o);  dWx_g[:,k] += dz_g x_k; db_g += dz_g
//   dWh = DZ^T H over all (t, b), per block of 64 steps while DZ and H are in cache (OuterProduct:
//   a fixed summation order, no BLAS, so the same bits on every CPU).
// Gates use VectorMath's sigmoid/tanh (abs. error < 3e-7), the reference uses libm.
//
// Speed: the step is bound by the gate chains' latency and by instruction count; the forward runs
// two sequences at a time, gate weights are packed pre-scaled (-W for sigmoid gates, 2 W for tanh;
// exact), dWx and db are summed per 64-step block. What was measured, kept and rejected:
// docs/EXPERIMENTS.md, "Benchmark".

final class LSTMKernel<V: LaneVector>: SequenceKernel {
    let shape: ModelShape
    let steps: Int
    let maxBatch: Int
    private let n: Int, p: Int, q: Int
    private let vb = MemoryLayout<V>.stride
    /// Bytes per state: nb = ceil(n / lanes) vectors (LaneVector.stateBytes).
    private let blockedBytes: Int
    @inline(__always) private var sb: Int { V.stateBytes(blockedBytes) }
    private let ws: Workspace
    private let oH: Int, oCs: Int, oTC: Int, oGate: Int, oDZ: Int, oDC: Int
    private let oWx: Int, oWhCol: Int, oWhRow: Int, oBias: Int
    private let oGWx: Int, oGb: Int, oGWh: Int, end: Int
    private let readout: KernelReadout<V>

    init(shape: ModelShape, steps: Int, maxBatch: Int) {
        precondition(shape.cell == .lstm)
        self.shape = shape; self.steps = steps; self.maxBatch = maxBatch
        n = shape.hidden; p = shape.inputs; q = shape.outputs
        let vb = MemoryLayout<V>.stride
        let nb = (n + V.scalarCount - 1) / V.scalarCount
        precondition(V.scalarCount == 16 || nb == 1, "only 16-lane kernels take more than one block")
        let sb = nb * vb
        blockedBytes = sb
        oH = 0
        oCs = oH + (steps + 1) * maxBatch * sb
        oTC = oCs + (steps + 1) * maxBatch * sb
        oGate = oTC + steps * maxBatch * sb
        oDZ = oGate + 4 * steps * maxBatch * sb
        oDC = oDZ + 4 * (steps + 1) * maxBatch * sb
        oWx = oDC + maxBatch * sb
        oWhCol = oWx + 4 * p * sb
        oWhRow = oWhCol + 4 * n * sb
        oBias = oWhRow + 4 * n * sb
        oGWx = oBias + 4 * sb
        oGb = oGWx + 4 * p * sb
        oGWh = oGb + 4 * sb
        let oReadout = oGWh + 4 * n * sb
        end = oReadout + KernelReadout<V>.bytes(q: q, stateBytes: sb)
        ws = Workspace(bytes: end)
        readout = KernelReadout(ws: ws, base: oReadout, hidden: n, outputs: q, stateBytes: sb)
    }

    @inline(__always) private func vec(_ off: Int) -> V { ws.raw.load(fromByteOffset: off, as: V.self) }
    @inline(__always) private func setVec(_ off: Int, _ v: V) { ws.raw.storeBytes(of: v, toByteOffset: off, as: V.self) }
    @inline(__always) private func scalar(_ off: Int) -> Float { ws.raw.load(fromByteOffset: off, as: Float.self) }
    @inline(__always) private func setScalar(_ off: Int, _ v: Float) { ws.raw.storeBytes(of: v, toByteOffset: off, as: Float.self) }

    private func pack(_ params: UnsafePointer<Float>) {
        let Wx = shape.slot("Wx").offset, Wh = shape.slot("Wh").offset, b = shape.slot("b").offset
        ws.zero(offset: oWx, count: oGWx - oWx)
        for g in 0..<4 {
            let sc: Float = g == 2 ? 2 : -1  // exact scalings: see preactivation
            for i in 0..<n {
                let r = g * n + i
                for k in 0..<p { setScalar(oWx + (g * p + k) * sb + i * 4, sc * params[Wx + r * p + k]) }
                for j in 0..<n {
                    setScalar(oWhCol + (g * n + j) * sb + i * 4, sc * params[Wh + r * n + j])
                    setScalar(oWhRow + r * sb + j * 4, params[Wh + r * n + j])
                }
                setScalar(oBias + g * sb + i * 4, sc * params[b + r])
            }
        }
        readout.pack(params, C: shape.slot("C").offset, c: shape.slot("c").offset)
    }

    /// Writes every gradient.
    private func unpack(_ grad: UnsafeMutablePointer<Float>) {
        let Wx = shape.slot("Wx").offset, Wh = shape.slot("Wh").offset, b = shape.slot("b").offset
        for g in 0..<4 {
            for i in 0..<n {
                let r = g * n + i
                for k in 0..<p { grad[Wx + r * p + k] = scalar(oGWx + (g * p + k) * sb + i * 4) }
                for j in 0..<n { grad[Wh + r * n + j] = scalar(oGWh + r * sb + j * 4) }
                grad[b + r] = scalar(oGb + g * sb + i * 4)
            }
        }
        readout.unpack(grad, C: shape.slot("C").offset, c: shape.slot("c").offset)
    }

    /// Steps per dWh block: DZ and H of 64 steps x 10 sequences (200 KB at 16 units) stay in L2.
    private let blockSteps = 64

    /// dWx_g[:,k] += dz_g x_k and db_g += dz_g over t1 > t >= t0 (descending), b ascending: the
    /// order of the step loop, so the sums are the same; accumulators stay in registers.
    private func accumulateDWxDb(x: UnsafePointer<Float>, batch B: Int, from t0: Int, to t1: Int) {
        typealias C = V.Chunk
        let cb = MemoryLayout<C>.stride, row = maxBatch * sb
        for g in 0..<4 {
            for piece in stride(from: 0, to: sb, by: cb) {
                let bOff = oGb + g * sb + piece
                var db = ws.raw.load(fromByteOffset: bOff, as: C.self)
                if p == 2 {
                    let w0 = oGWx + (g * p) * sb + piece, w1 = w0 + sb
                    var a0 = ws.raw.load(fromByteOffset: w0, as: C.self), a1 = ws.raw.load(fromByteOffset: w1, as: C.self)
                    for t in stride(from: t1 - 1, through: t0, by: -1) {
                        let xt = x + t * B * 2
                        var dzOff = oDZ + 4 * t * row + g * sb + piece
                        for b in 0..<B {
                            let dz = ws.raw.load(fromByteOffset: dzOff, as: C.self)
                            a0 = dz * xt[2 * b] + a0
                            a1 = dz * xt[2 * b + 1] + a1
                            db = dz + db
                            dzOff += 4 * sb
                        }
                    }
                    ws.raw.storeBytes(of: a0, toByteOffset: w0, as: C.self)
                    ws.raw.storeBytes(of: a1, toByteOffset: w1, as: C.self)
                } else {
                    for t in stride(from: t1 - 1, through: t0, by: -1) {
                        let xt = x + t * B * p
                        var dzOff = oDZ + 4 * t * row + g * sb + piece
                        for b in 0..<B {
                            let dz = ws.raw.load(fromByteOffset: dzOff, as: C.self)
                            for k in 0..<p {
                                let w = oGWx + (g * p + k) * sb + piece
                                ws.raw.storeBytes(of: dz * xt[b * p + k] + ws.raw.load(fromByteOffset: w, as: C.self), toByteOffset: w, as: C.self)
                            }
                            db = dz + db
                            dzOff += 4 * sb
                        }
                    }
                }
                ws.raw.storeBytes(of: db, toByteOffset: bOff, as: C.self)
            }
        }
    }

    /// Block `blk` (a byte offset within a state) of z_g of two sequences:
    /// b_g + sum_k Wx_g[:,k] x_k + sum_j Wh_g[:,j] h_j, in this order.
    @inline(__always)
    private func preactivation(_ g: Int, _ blk: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ h0: Int, _ h1: Int) -> (V, V) {
        var a0 = vec(oBias + g * sb + blk), a1 = a0
        for k in 0..<p {
            let w = vec(oWx + (g * p + k) * sb + blk)
            a0 = w * x0[k] + a0
            a1 = w * x1[k] + a1
        }
        for j in 0..<n {
            let w = vec(oWhCol + (g * n + j) * sb + blk)
            a0 = w * scalar(h0 + j * 4) + a0
            a1 = w * scalar(h1 + j * 4) + a1
        }
        return (a0, a1)
    }

    /// Stores block blk of step t of sequence b: c, h = o tanh(c), and the gates and tanh(c) for the backward.
    @inline(__always)
    private func store(_ t: Int, _ b: Int, _ blk: Int, _ cCur: Int, _ hCur: Int, _ i: V, _ f: V, _ g: V, _ o: V, _ c: V, _ tc: V) {
        setVec(cCur + b * sb + blk, c)
        setVec(hCur + b * sb + blk, o * tc)
        let gate = oGate + (t * maxBatch + b) * 4 * sb + blk
        setVec(gate, i); setVec(gate + sb, f); setVec(gate + 2 * sb, g); setVec(gate + 3 * sb, o)
        setVec(oTC + (t * maxBatch + b) * sb + blk, tc)
    }


    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, batch B: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> Double {
        precondition(B >= 1 && B <= maxBatch)
        pack(params)
        let training = grad != nil
        let row = maxBatch * sb
        var sse = 0.0
        for t in 0..<steps {
            let hPrev = oH + t * row, hCur = hPrev + row, cPrev = oCs + t * row, cCur = cPrev + row
            let xt = x + t * B * p, yt = y + t * B * q
            // Two sequences at a time (the second is the first again when B is odd: same values
            // stored twice): their gate chains are independent, so one hides the other's latency.
            for b0 in stride(from: 0, to: B, by: 2) {
                let b1 = min(b0 + 1, B - 1)
                let x0 = xt + b0 * p, x1 = xt + b1 * p, h0 = hPrev + b0 * sb, h1 = hPrev + b1 * sb
                for blk in stride(from: 0, to: sb, by: vb) {
                    // Weights packed as -W (sigmoid gates) and 2 W (tanh gate): exact scalings.
                    let (zi0, zi1) = preactivation(0, blk, x0, x1, h0, h1)
                    let i0 = VectorMath.sigmoidOfNegated(zi0), i1 = VectorMath.sigmoidOfNegated(zi1)
                    let (zf0, zf1) = preactivation(1, blk, x0, x1, h0, h1)
                    let f0 = VectorMath.sigmoidOfNegated(zf0), f1 = VectorMath.sigmoidOfNegated(zf1)
                    let (zg0, zg1) = preactivation(2, blk, x0, x1, h0, h1)
                    let g0 = VectorMath.tanhOfDoubled(zg0), g1 = VectorMath.tanhOfDoubled(zg1)
                    let (zo0, zo1) = preactivation(3, blk, x0, x1, h0, h1)
                    let o0 = VectorMath.sigmoidOfNegated(zo0), o1 = VectorMath.sigmoidOfNegated(zo1)
                    let c0 = f0 * vec(cPrev + b0 * sb + blk) + i0 * g0, c1 = f1 * vec(cPrev + b1 * sb + blk) + i1 * g1
                    let tc0 = VectorMath.tanh(c0), tc1 = VectorMath.tanh(c1)
                    store(t, b0, blk, cCur, hCur, i0, f0, g0, o0, c0, tc0)
                    store(t, b1, blk, cCur, hCur, i1, f1, g1, o1, c1, tc1)
                }
                if !training {
                    for b in b0...b1 { readout.addSquaredErrors(state: hCur + b * sb, targets: yt + b * q, to: &sse) }
                }
            }
        }
        guard let grad else { return sse }

        ws.zero(offset: oGWx, count: oGWh + 4 * n * sb - oGWx)
        readout.zeroGradients()
        // DZ[T] is the (zero) dz after the last step. (Rows b >= B are never read.)
        ws.zero(offset: oDZ + 4 * steps * row, count: 4 * row)
        ws.zero(offset: oDC, count: B * sb)
        let twoScale = 2 * scale
        let one = V(repeating: 1)
        var blockEnd = steps
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let hPrev = oH + t * row, hCur = hPrev + row, cPrev = oCs + t * row
            let yt = y + t * B * q
            for b in 0..<B {
                let hb = hCur + b * sb, yb = yt + b * q
                readout.prepare(state: hb, targets: yb, twoScale: twoScale, sse: &sse)
                let dz = oDZ + 4 * ((t + 1) * row + b * sb)
                let gate = oGate + (t * maxBatch + b) * 4 * sb
                let dzt = oDZ + 4 * (t * row + b * sb)
                for blk in stride(from: 0, to: sb, by: vb) {
                    let h = vec(hb + blk)
                    var dh0 = V(), dh1 = V()
                    for r in 0..<n {
                        dh0 = vec(oWhRow + r * sb + blk) * scalar(dz + r * 4) + dh0
                        dh1 = vec(oWhRow + (n + r) * sb + blk) * scalar(dz + sb + r * 4) + dh1
                        dh0 = vec(oWhRow + (2 * n + r) * sb + blk) * scalar(dz + 2 * sb + r * 4) + dh0
                        dh1 = vec(oWhRow + (3 * n + r) * sb + blk) * scalar(dz + 3 * sb + r * 4) + dh1
                    }
                    dh0 = readout.backward(block: blk, h: h, targets: yb, twoScale: twoScale, sse: &sse, dh: dh0)
                    let dh = dh0 + dh1
                    let i = vec(gate + blk), f = vec(gate + sb + blk), g = vec(gate + 2 * sb + blk), o = vec(gate + 3 * sb + blk)
                    let tc = vec(oTC + (t * maxBatch + b) * sb + blk)
                    let dcOff = oDC + b * sb + blk
                    let dc = dh * o * (one - tc * tc) + vec(dcOff)
                    let dzi = dc * g * i * (one - i)
                    let dzf = dc * vec(cPrev + b * sb + blk) * f * (one - f)
                    let dzg = dc * i * (one - g * g)
                    let dzo = dh * tc * o * (one - o)
                    setVec(dcOff, dc * f)
                    setVec(dzt + blk, dzi); setVec(dzt + sb + blk, dzf); setVec(dzt + 2 * sb + blk, dzg); setVec(dzt + 3 * sb + blk, dzo)
                }
            }
            // dWh of the block of steps just finished, while its DZ and H rows are still in cache.
            if t % blockSteps == 0 {
                // dWh += sum over the block of dz(t) h(t-1)^T, all four gates (H row t is h(t-1)).
                OuterProduct.accumulate(V.self, ws: ws, g: oGWh, a: oDZ, aRow: 4 * sb, h: oH, n: n, groups: 4, sb: sb,
                                        maxBatch: maxBatch, batch: B, from: t, to: blockEnd)
                accumulateDWxDb(x: x, batch: B, from: t, to: blockEnd)
                blockEnd = t
            }
        }
        unpack(grad)
        return sse
    }
}
