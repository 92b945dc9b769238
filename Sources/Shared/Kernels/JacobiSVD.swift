// One-sided Jacobi SVD (Hestenes) in Swift, in Double: the project's only SVD.
//
// Every operation is a plain IEEE-754 Double +, -, *, / or squareRoot, in an order fixed by the
// code alone (no libm, no BLAS, no threads, no randomness; Swift never fuses a * b + c into an
// FMA), so a given input gives the same bits on every x86-64 CPU model and in an SSE or an AVX2
// build. LAPACK's dgesvd, whose BLAS kernels OpenBLAS picks by CPU model at run time, stays only
// as the reference twin in the tests (JacobiSVDTests).
//
// Algorithm, for B (p x q, p >= q; B = A, or A^T when A is wide):
//  1. B is scaled by a power of two (exact) so its largest |entry| is in [1, 2): no squared norm
//     can overflow, and the thresholds below are relative to the matrix.
//  2. Cyclic sweeps over the column pairs (i, j), i < j, row by row. A pair is rotated unless
//         |b_i . b_j| <= tol * ||b_i|| ||b_j||,   tol = max(1e-15, sqrt(p) * 2^-53)
//     (2^-53 is LAPACK's eps; sqrt(p) eps is dgesvj's default tolerance, used here once p > 81).
//     The rotation zeroes b_i . b_j with Rutishauser's formulas as in LAPACK's dgesvj
//     (Demmel-Veselic), in the scaled "cosine" form that cannot overflow:
//         zeta = (||b_j|| / ||b_i|| - ||b_i|| / ||b_j||) / (2 cos),  cos = b_i . b_j / (||b_i|| ||b_j||)
//         t = sign(zeta) / (|zeta| + sqrt(1 + zeta^2))   (t = 1 / (2 zeta) once |zeta| > 1 / sqrt(eps))
//         c = 1 / sqrt(1 + t^2),  s = t c,   [b_i b_j] <- [c b_i - s b_j, s b_i + c b_j]
//     and the same rotation accumulates V. The squared column norms are recomputed from the
//     rotated columns (not updated by formula). A sweep without any rotation ends the iteration;
//     after `maxSweeps` sweeps without that, the routine throws (routine "jacobi-svd", info = the
//     sweep count). Columns whose squared norm is below 2^-1022 / 2^-52 (~1e-292, i.e. norm below
//     ~1e-146 times the largest entry) are negligible: never rotated, and completed as zero columns.
//  3. s_j = ||b_j||, sorted descending (selection sort; U and V columns move with s).
//  4. U's columns are b_j / s_j; the columns of zero (negligible) s_j and, for p > q, the p - q
//     extra columns are completed deterministically: the identity columns e_0, e_1, ... in turn,
//     modified Gram-Schmidt against every column already set, twice, kept when the remaining
//     squared norm exceeds 1 / (2p) (some e_k always does: the squared residuals of all p of them
//     sum to the number of columns still missing), then normalized.
// Dot products and norms run in 4 partial sums by index mod 4, added as (s0 + s1) + (s2 + s3).

/// The one-sided Jacobi SVD behind `MatrixProjection.svdColumnMajor` and the theory module.
enum JacobiSVD {
    static let routine = "jacobi-svd"
    /// Sweeps allowed before giving up; random 128 x 128 matrices need about 10.
    static let maxSweeps = 60
    /// `info` of the error thrown for a NaN or infinite entry.
    static let nonFiniteInfo = -1
    /// `info` of the error thrown if U could not be completed (cannot happen in exact arithmetic).
    static let completionInfo = -2

    /// Convergence tolerance on |b_i . b_j| / (||b_i|| ||b_j||) for columns of length p.
    static func tolerance(rows p: Int) -> Double { Swift.max(1e-15, Double(p).squareRoot() * 0x1p-53) }

    /// Squared column norms below this (in the scaled matrix) mark a negligible column.
    static let negligible = Double.leastNormalMagnitude / Double.ulpOfOne

    /// Above this |zeta|, 1 + zeta^2 rounds to zeta^2 and t = 1 / (2 zeta) (dgesvj's BIGTHETA).
    static let bigTheta = 1 / Double.ulpOfOne.squareRoot()

    /// A = U diag(s) V^T for a row-major m x n matrix: U column-major [m x m], s descending
    /// (min(m, n) values), V^T column-major [n x n]. With `vectors == false`, only s (the same bits)
    /// and empty u, vt.
    static func decompose(_ a: [Double], rows m: Int, cols n: Int, vectors: Bool) throws -> (u: [Double], s: [Double], vt: [Double]) {
        precondition(m >= 0 && n >= 0 && a.count == m * n, "matrix size mismatch")
        if m == 0 || n == 0 { return vectors ? (identity(m), [], identity(n)) : ([], [], []) }

        var maxAbs = 0.0
        for x in a {
            guard x.isFinite else { throw LinearAlgebraError(routine: routine, info: nonFiniteInfo) }
            let ax = x.magnitude
            if ax > maxAbs { maxAbs = ax }
        }
        // maxAbs in [2^e, 2^(e + 1)); B = 2^-e A (exact unless entries fall below 2^-1022).
        let e = maxAbs > 0 ? Int(maxAbs.exponent) : 0

        let tall = m >= n
        let p = tall ? m : n, q = tall ? n : m
        // w: B column-major in its first q columns, then U (p x p). v: V (q x q), column-major.
        var w = [Double](repeating: 0, count: (vectors ? p : q) * p)
        var v = vectors ? identity(q) : []
        var d = [Double](repeating: 0, count: q)  // squared column norms
        var s = [Double](repeating: 0, count: q)

        try w.withUnsafeMutableBufferPointer { wb in
            let w = wb.baseAddress!
            if tall {
                for i in 0..<m { for j in 0..<n { w[i + j * m] = a[i * n + j] } }
            } else {
                // Row-major A is column-major A^T.
                for k in 0..<(m * n) { w[k] = a[k] }
            }
            scale(w, count: p * q, byPowerOfTwo: -e)
            for j in 0..<q { d[j] = sumOfSquares(w + j * p, p) }

            try v.withUnsafeMutableBufferPointer { vb in
                try sweep(w, p: p, q: q, d: &d, v: vectors ? vb.baseAddress! : nil)
            }

            for j in 0..<q { s[j] = d[j].squareRoot() }
            // Descending order, by selection sort (strict >, so equal values keep their order).
            for i in 0..<q {
                var best = i
                for j in (i + 1)..<q where s[j] > s[best] { best = j }
                if best == i { continue }
                s.swapAt(i, best)
                d.swapAt(i, best)
                if vectors {
                    swapColumns(w, i, best, rows: p)
                    v.withUnsafeMutableBufferPointer { swapColumns($0.baseAddress!, i, best, rows: q) }
                }
            }
            guard vectors else { return }

            // U: b_j / s_j, then completion of the null and extra columns.
            var filled = [Bool](repeating: false, count: p)
            for j in 0..<q where d[j] >= negligible {
                let col = w + j * p
                let sj = s[j]
                for k in 0..<p { col[k] = col[k] / sj }
                filled[j] = true
            }
            var candidate = 0
            let keep = 1 / (2 * Double(p))
            for j in 0..<p where !filled[j] {
                let col = w + j * p
                while true {
                    guard candidate < p else { throw LinearAlgebraError(routine: routine, info: completionInfo) }
                    for k in 0..<p { col[k] = k == candidate ? 1 : 0 }
                    candidate += 1
                    for _ in 0..<2 {
                        for k in 0..<p where filled[k] {
                            let other = w + k * p
                            let h = dot(other, col, p)
                            for r in 0..<p { col[r] = col[r] - h * other[r] }
                        }
                    }
                    let r2 = sumOfSquares(col, p)
                    if r2 > keep {
                        let norm = r2.squareRoot()
                        for k in 0..<p { col[k] = col[k] / norm }
                        filled[j] = true
                        break
                    }
                }
            }
        }

        for j in 0..<q { s[j] = scaled(s[j], byPowerOfTwo: e) }
        guard vectors else { return ([], s, []) }
        if tall {
            // U = w (m x m); V^T[k, i] = V[i, k].
            return (w, s, transposed(v, n: n))
        } else {
            // A = B^T = V_B diag(s) U_B^T: U = V_B (m x m), V^T = U_B^T (n x n).
            return (v, s, transposed(w, n: n))
        }
    }

    /// The Jacobi sweeps on the p x q column-major `w` (p >= q), with squared column norms `d`;
    /// rotations also applied to the q x q column-major `v` when given.
    private static func sweep(_ w: UnsafeMutablePointer<Double>, p: Int, q: Int, d: inout [Double],
                              v: UnsafeMutablePointer<Double>?) throws {
        guard q > 1 else { return }
        let tol = tolerance(rows: p)
        for _ in 0..<maxSweeps {
            var rotated = false
            for i in 0..<(q - 1) {
                for j in (i + 1)..<q {
                    let alpha = d[i], beta = d[j]
                    if alpha < negligible || beta < negligible { continue }
                    let bi = w + i * p, bj = w + j * p
                    let gamma = dot(bi, bj, p)
                    let ni = alpha.squareRoot(), nj = beta.squareRoot()
                    if gamma.magnitude <= tol * ni * nj { continue }
                    rotated = true
                    let cosine = gamma / (ni * nj)
                    let zeta = (nj / ni - ni / nj) / (2 * cosine)
                    let t: Double
                    if zeta.magnitude > bigTheta {
                        t = 0.5 / zeta
                    } else {
                        let root = (1 + zeta * zeta).squareRoot()
                        t = zeta >= 0 ? 1 / (zeta + root) : -1 / (root - zeta)
                    }
                    let c = 1 / (1 + t * t).squareRoot()
                    let s = t * c
                    let (ai, aj) = rotate(bi, bj, p, c, s)
                    d[i] = ai
                    d[j] = aj
                    if let v { _ = rotate(v + i * q, v + j * q, q, c, s) }
                }
            }
            if !rotated { return }
        }
        throw LinearAlgebraError(routine: routine, info: maxSweeps)
    }

    /// [x y] <- [c x - s y, s x + c y]; returns the new squared norms of x and y.
    @inline(__always)
    private static func rotate(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int,
                               _ c: Double, _ s: Double) -> (Double, Double) {
        var x0 = 0.0, x1 = 0.0, x2 = 0.0, x3 = 0.0
        var y0 = 0.0, y1 = 0.0, y2 = 0.0, y3 = 0.0
        var k = 0
        while k + 4 <= n {
            let a0 = x[k], a1 = x[k + 1], a2 = x[k + 2], a3 = x[k + 3]
            let b0 = y[k], b1 = y[k + 1], b2 = y[k + 2], b3 = y[k + 3]
            let u0 = c * a0 - s * b0, u1 = c * a1 - s * b1, u2 = c * a2 - s * b2, u3 = c * a3 - s * b3
            let v0 = s * a0 + c * b0, v1 = s * a1 + c * b1, v2 = s * a2 + c * b2, v3 = s * a3 + c * b3
            x[k] = u0; x[k + 1] = u1; x[k + 2] = u2; x[k + 3] = u3
            y[k] = v0; y[k + 1] = v1; y[k + 2] = v2; y[k + 3] = v3
            x0 += u0 * u0; x1 += u1 * u1; x2 += u2 * u2; x3 += u3 * u3
            y0 += v0 * v0; y1 += v1 * v1; y2 += v2 * v2; y3 += v3 * v3
            k += 4
        }
        while k < n {
            let a = x[k], b = y[k]
            let u = c * a - s * b, v = s * a + c * b
            x[k] = u; y[k] = v
            x0 += u * u; y0 += v * v
            k += 1
        }
        return ((x0 + x1) + (x2 + x3), (y0 + y1) + (y2 + y3))
    }

    /// x . y in 4 partial sums (fixed order).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var k = 0
        while k + 4 <= n {
            s0 += x[k] * y[k]; s1 += x[k + 1] * y[k + 1]; s2 += x[k + 2] * y[k + 2]; s3 += x[k + 3] * y[k + 3]
            k += 4
        }
        while k < n { s0 += x[k] * y[k]; k += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    @inline(__always)
    static func dot(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        dot(UnsafePointer(x), UnsafePointer(y), n)
    }

    /// x . x, summed exactly like `dot` and `rotate`.
    @inline(__always)
    static func sumOfSquares(_ x: UnsafeMutablePointer<Double>, _ n: Int) -> Double { dot(x, x, n) }

    private static func swapColumns(_ m: UnsafeMutablePointer<Double>, _ i: Int, _ j: Int, rows: Int) {
        let a = m + i * rows, b = m + j * rows
        for k in 0..<rows { let t = a[k]; a[k] = b[k]; b[k] = t }
    }

    /// 2^k for -1022 <= k <= 1023, from its bits.
    @inline(__always)
    static func powerOfTwo(_ k: Int) -> Double {
        precondition(k >= -1022 && k <= 1023)
        return Double(bitPattern: UInt64(1023 + k) << 52)
    }

    /// x 2^k for any k a Double exponent can give (two exact factors when 2^k is out of range).
    static func scaled(_ x: Double, byPowerOfTwo k: Int) -> Double {
        if k >= -1022 && k <= 1023 { return x * powerOfTwo(k) }
        let half = k / 2
        return x * powerOfTwo(half) * powerOfTwo(k - half)
    }

    private static func scale(_ x: UnsafeMutablePointer<Double>, count: Int, byPowerOfTwo k: Int) {
        if k == 0 { return }
        for i in 0..<count { x[i] = scaled(x[i], byPowerOfTwo: k) }
    }

    private static func identity(_ n: Int) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = 1 }
        return m
    }

    /// Transpose of a square n x n matrix (same layout either way).
    private static func transposed(_ m: [Double], n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { out[j + i * n] = m[i + j * n] } }
        return out
    }
}
