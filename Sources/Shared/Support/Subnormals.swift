import CCPU

/// Subnormal floats (magnitudes below 1.2e-38 in Float) flushed to zero on this thread: results
/// (FTZ, MXCSR bit 15) and inputs (DAZ, bit 6). A pMNIST job's backward pass through 784 steps
/// drives gradients through the subnormal range, where this kind of CPU takes a slow path for
/// every such value (3-17x per batch on an Intel Xeon; docs/EXPERIMENTS.md, "subnormals"); XLA,
/// and so JAX, flushes by default. Flushing is part of the pMNIST job kind's arithmetic, the same on
/// every worker and in both instruction-set builds (FTZ/DAZ act on SSE and AVX alike), so a job's
/// result still depends only on its spec. Synthetic and theorem jobs do not flush: their stored
/// results (docs/results) stay bit-reproducible.
public enum Subnormals {
    static let flushBits: UInt32 = 0x8040

    /// Runs `body` with subnormals flushed on this thread and restores the thread's previous
    /// mode afterwards, also when `body` throws.
    public static func flushed<T>(_ body: () throws -> T) rethrows -> T {
        let saved = urnn_mxcsr_get()
        urnn_mxcsr_set(saved | flushBits)
        defer { urnn_mxcsr_set(saved) }
        return try body()
    }

    /// True while this thread flushes subnormals (FTZ and DAZ both set).
    public static var areFlushed: Bool { urnn_mxcsr_get() & flushBits == flushBits }
}
