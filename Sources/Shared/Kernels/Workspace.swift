// Aligned scratch memory for the kernels: allocated once per kernel, reused for
// every batch, so nothing is allocated inside the time loop.

/// A zero-initialised, 64-byte aligned block of raw memory, freed with its owner.
final class Workspace {
    let raw: UnsafeMutableRawPointer
    let bytes: Int

    init(bytes: Int) {
        self.bytes = max(bytes, 64)
        raw = UnsafeMutableRawPointer.allocate(byteCount: self.bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: self.bytes)
    }

    deinit { raw.deallocate() }

    /// Sets `count` bytes from `offset` to zero.
    func zero(offset: Int, count: Int) {
        (raw + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }
}
