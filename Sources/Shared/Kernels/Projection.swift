// Matrix projections by a one-sided Jacobi SVD written in Swift (JacobiSVD.swift), in
// Double. Used after every optimizer step: the URNN's W <- U V^T (the orthogonal polar
// factor, which is the closest orthogonal matrix to W in Frobenius and spectral norm), and
// the contractive RNN's W <- U min(S, 1) V^T. Also the spectral norm, and the
// orthonormal-columns factor used by the orthogonal initializer.
//
// Why not LAPACK: OpenBLAS picks the BLAS kernels under dgesvd by CPU model at run time, so
// the last bits of the SVD, and thus of URNN and contractive training, could differ between
// CPU models. The Jacobi SVD uses only IEEE +, -, *, / and sqrt in an order fixed by the code,
// so it gives the same bits on every CPU. LAPACK's dgesvd stays as the reference twin in the
// tests (JacobiSVDTests).
//
// All matrices here are row-major [rows, cols] arrays; the SVD's factors are column-major
// (the copies are explicit, the sizes tiny).

/// The SVD failed: `routine` "jacobi-svd" with `info` -1 for a NaN or infinite entry, or the
/// number of sweeps after which it had not converged (see JacobiSVD).
public struct LinearAlgebraError: Error, CustomStringConvertible, Sendable, Equatable {
    public var routine: String
    public var info: Int
    public var description: String { "\(routine) failed with info = \(info)" }
}

public enum MatrixProjection {
    /// Full SVD of a row-major rows x cols matrix A = U diag(s) V^T (one-sided Jacobi, JacobiSVD).
    /// Returns column-major U [rows x rows], s (descending, min(rows, cols)), column-major V^T [cols x cols].
    /// Throws `LinearAlgebraError` for a non-finite entry or if the sweeps do not converge.
    static func svdColumnMajor(_ a: [Double], rows m: Int, cols n: Int) throws -> (u: [Double], s: [Double], vt: [Double]) {
        try JacobiSVD.decompose(a, rows: m, cols: n, vectors: true)
    }

    /// Singular values of a row-major rows x cols matrix, descending (the same bits as `svdColumnMajor`'s s).
    public static func singularValues(_ a: [Double], rows: Int, cols: Int) throws -> [Double] {
        try JacobiSVD.decompose(a, rows: rows, cols: cols, vectors: false).s
    }

    /// ||A||_2, the largest singular value.
    public static func spectralNorm(_ a: [Double], rows: Int, cols: Int) throws -> Double {
        try singularValues(a, rows: rows, cols: cols).first ?? 0
    }

    /// U diag(f(s)) V^T for a square n x n row-major matrix.
    static func mapSingularValues(_ a: [Double], n: Int, _ f: (Double) -> Double) throws -> [Double] {
        let (u, s, vt) = try svdColumnMajor(a, rows: n, cols: n)
        let fs = s.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var acc = 0.0
                for k in 0..<n { acc += u[i + k * n] * fs[k] * vt[k + j * n] }
                out[i * n + j] = acc
            }
        }
        return out
    }

    /// The closest orthogonal matrix to A (n x n, row-major): U V^T where A = U S V^T.
    /// Idempotent up to rounding; equals the orthogonal factor of the polar decomposition A = Q P.
    public static func nearestOrthogonal(_ a: [Double], n: Int) throws -> [Double] {
        try mapSingularValues(a, n: n) { _ in 1 }
    }

    /// U diag(min(s, bound)) V^T: the closest matrix (Frobenius) with spectral norm <= bound.
    public static func clipSingularValues(_ a: [Double], n: Int, bound: Double = 1) throws -> [Double] {
        try mapSingularValues(a, n: n) { Swift.min($0, bound) }
    }

    /// Orthonormal columns from a rows x cols (rows >= cols) matrix by modified Gram-Schmidt,
    /// which equals Q of A = QR with the signs of diag(R) made positive (Keras's orthogonal init).
    public static func orthonormalColumns(_ a: [Double], rows m: Int, cols n: Int) -> [Double] {
        precondition(m >= n && a.count == m * n)
        var q = a
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<m { dot += q[i * n + k] * q[i * n + j] }
                for i in 0..<m { q[i * n + j] -= dot * q[i * n + k] }
            }
            var norm = 0.0
            for i in 0..<m { norm += q[i * n + j] * q[i * n + j] }
            norm = norm.squareRoot()
            for i in 0..<m { q[i * n + j] = norm > 0 ? q[i * n + j] / norm : (i == j ? 1 : 0) }
        }
        return q
    }
}
