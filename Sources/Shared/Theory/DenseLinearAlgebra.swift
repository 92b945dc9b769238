// The dense linear algebra the theory module needs, behind a safe API: the SVD and what is
// built from it. The SVD is the project's one-sided Jacobi SVD in Swift (JacobiSVD.swift, via
// MatrixProjection), bit-identical on every CPU model; LAPACK's dgesvd only serves as the tests'
// reference twin.

/// Singular value decomposition and what is built from it.
public enum DenseLinearAlgebra {
    /// A = U diag(s) V^T with U (r x r), V^T (c x c) orthogonal and s descending (one-sided Jacobi SVD).
    public static func svd(_ a: Matrix) throws(TheoryError) -> (u: Matrix, s: [Double], vt: Matrix) {
        let r = a.rows, c = a.cols
        guard r > 0, c > 0 else { return (Matrix.identity(r), [], Matrix.identity(c)) }
        guard a.isFinite else { throw nonFinite }
        // The one SVD of the project; it returns U and V^T column-major.
        let f: (u: [Double], s: [Double], vt: [Double])
        do { f = try MatrixProjection.svdColumnMajor(a.data, rows: r, cols: c) } catch {
            throw failure(error, "SVD of a \(r)x\(c) matrix failed")
        }
        return (Matrix(rows: r, cols: r, data: transposed(f.u, n: r)), f.s, Matrix(rows: c, cols: c, data: transposed(f.vt, n: c)))
    }

    private static var nonFinite: TheoryError {
        .lapack(routine: JacobiSVD.routine, info: JacobiSVD.nonFiniteInfo, detail: "matrix has non-finite entries")
    }

    private static func failure(_ error: any Error, _ detail: String) -> TheoryError {
        if let e = error as? LinearAlgebraError { return .lapack(routine: e.routine, info: e.info, detail: detail) }
        return .lapack(routine: JacobiSVD.routine, info: 0, detail: "\(detail): \(error)")
    }

    /// Row-major copy of a column-major square n x n matrix.
    private static func transposed(_ m: [Double], n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { out[i * n + j] = m[i + j * n] } }
        return out
    }

    /// Singular values only, descending (the same bits as `svd`'s s).
    public static func singularValues(_ a: Matrix) throws(TheoryError) -> [Double] {
        let r = a.rows, c = a.cols
        guard r > 0, c > 0 else { return [] }
        guard a.isFinite else { throw nonFinite }
        do { return try MatrixProjection.singularValues(a.data, rows: r, cols: c) } catch {
            throw failure(error, "singular values of a \(r)x\(c) matrix failed")
        }
    }

    /// Spectral norm ||A||_2 = largest singular value (0 for an empty matrix).
    public static func spectralNorm(_ a: Matrix) throws(TheoryError) -> Double {
        try singularValues(a).first ?? 0
    }

    /// The orthogonal polar factor U V^T of a square A = U S V^T: the orthogonal matrix nearest A
    /// in Frobenius norm. This is the URNN projection used after every optimizer step.
    public static func polarFactor(_ a: Matrix) throws(TheoryError) -> Matrix {
        precondition(a.rows == a.cols)
        let (u, _, vt) = try svd(a)
        return u * vt
    }

    /// The two defect operators of a contraction W = P diag(s) Q^T (||W|| <= 1), from one SVD:
    ///   D_W   = (I - W^T W)^(1/2) = Q diag(sqrt(1 - s^2)) Q^T   (cols x cols)
    ///   D_W^T = (I - W W^T)^(1/2) = P diag(sqrt(1 - s^2)) P^T   (rows x rows)
    /// 1 - s^2 is formed as (1 - s)(1 + s) for accuracy near s = 1 and clamped at 0.
    /// Taking both from one SVD keeps the intertwining W D_W = D_W^T W exact up to rounding.
    public static func defects(_ w: Matrix) throws(TheoryError) -> (dW: Matrix, dWt: Matrix) {
        precondition(w.rows == w.cols, "the dilation here is for square W")
        let (p, s, qt) = try svd(w)
        let root = s.map { max(0, (1 - $0) * (1 + $0)).squareRoot() }
        let q = qt.transposed
        let dW = q * Matrix.diagonal(root) * qt
        let dWt = p * Matrix.diagonal(root) * p.transposed
        return (symmetrized(dW), symmetrized(dWt))
    }

    /// (A + A^T) / 2: removes the rounding asymmetry of a product that is symmetric in exact arithmetic.
    static func symmetrized(_ a: Matrix) -> Matrix {
        var b = a
        for i in 0..<a.rows { for j in 0..<a.cols { b[i, j] = 0.5 * (a[i, j] + a[j, i]) } }
        return b
    }
}
