// Small dense Double matrices for the theorem demonstrations.
// Goals, in order: correctness and readability, then accuracy, then speed.
// Sizes here are tiny (n <= 128), so clarity wins over blocking or BLAS calls.

/// A dense matrix of Doubles, stored row-major: element (i, j) is `data[i * cols + j]`.
public struct Matrix: Hashable, Sendable {
    public var rows: Int
    public var cols: Int
    public var data: [Double]

    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows; self.cols = cols
        data = [Double](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols, "data has \(data.count) entries, want \(rows)x\(cols)")
        self.rows = rows; self.cols = cols; self.data = data
    }

    /// From nested rows; all rows must have `cols` entries (checked by the caller for files).
    public init(rowArrays: [[Double]], cols: Int) {
        precondition(rowArrays.allSatisfy { $0.count == cols })
        self.init(rows: rowArrays.count, cols: cols, data: rowArrays.flatMap { $0 })
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.data[i * n + i] = 1 }
        return m
    }

    /// Entries iid N(0, scale^2) from `rng`, drawn row by row.
    public static func gaussian(rows: Int, cols: Int, scale: Double = 1, rng: inout Xoshiro256) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for k in 0..<m.data.count { m.data[k] = scale * rng.gaussian() }
        return m
    }

    /// A diagonal matrix with `d` on the diagonal.
    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(rows: d.count, cols: d.count)
        for i in 0..<d.count { m.data[i * d.count + i] = d[i] }
        return m
    }

    @inlinable public subscript(i: Int, j: Int) -> Double {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }

    public var rowArrays: [[Double]] {
        (0..<rows).map { i in Array(data[(i * cols)..<((i + 1) * cols)]) }
    }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j] } }
        return t
    }

    /// The block [top-left rows x cols] starting at (r0, c0).
    public func block(_ r0: Int, _ c0: Int, rows r: Int, cols c: Int) -> Matrix {
        var b = Matrix(rows: r, cols: c)
        for i in 0..<r { for j in 0..<c { b.data[i * c + j] = self[r0 + i, c0 + j] } }
        return b
    }

    /// Writes `b` into this matrix with its top-left corner at (r0, c0).
    public mutating func setBlock(_ r0: Int, _ c0: Int, _ b: Matrix) {
        for i in 0..<b.rows { for j in 0..<b.cols { self[r0 + i, c0 + j] = b.data[i * b.cols + j] } }
    }

    /// Matrix product; inner sums in index order j = 0, 1, ... (deterministic).
    public static func * (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.cols == b.rows, "shape mismatch \(a.rows)x\(a.cols) * \(b.rows)x\(b.cols)")
        var c = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for k in 0..<a.cols {
                let aik = a.data[i * a.cols + k]
                if aik == 0 { continue }
                for j in 0..<b.cols { c.data[i * b.cols + j] += aik * b.data[k * b.cols + j] }
            }
        }
        return c
    }

    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols)
        return Matrix(rows: a.rows, cols: a.cols, data: zip(a.data, b.data).map { $0 + $1 })
    }

    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.cols == b.cols)
        return Matrix(rows: a.rows, cols: a.cols, data: zip(a.data, b.data).map { $0 - $1 })
    }

    public static func * (s: Double, a: Matrix) -> Matrix {
        Matrix(rows: a.rows, cols: a.cols, data: a.data.map { s * $0 })
    }

    /// y = A v, summed in index order.
    public func apply(_ v: [Double]) -> [Double] {
        precondition(v.count == cols)
        var y = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            var s = 0.0
            for j in 0..<cols { s += data[i * cols + j] * v[j] }
            y[i] = s
        }
        return y
    }

    /// Largest absolute entry (0 for an empty matrix).
    public var maxAbs: Double { data.reduce(0) { max($0, abs($1)) } }

    /// Euclidean norm of row i.
    public func rowNorm(_ i: Int) -> Double {
        var s = 0.0
        for j in 0..<cols { s += data[i * cols + j] * data[i * cols + j] }
        return s.squareRoot()
    }

    public var isFinite: Bool { data.allSatisfy { $0.isFinite } }
}

/// Euclidean norm of a vector.
@inlinable public func euclideanNorm(_ v: [Double]) -> Double {
    var s = 0.0
    for x in v { s += x * x }
    return s.squareRoot()
}
