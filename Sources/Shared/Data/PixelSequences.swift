// Images as pixel-by-pixel sequences for a recurrent classifier (sequential / permuted MNIST):
// one pixel per step (input dimension 1), value = pixel / 255, in the order of `PixelOrder`;
// optionally average-pooled by `pool` first (pool 4: 7 x 7 images, 49 steps; for fast tests).
//
// A set refers to the dataset's bytes (shared, copy-on-write, never copied) through a list of
// image indices; `gather` writes a batch batch-major, x [T, B, 1], as the kernels want it.

public struct PixelSequences: Sendable {
    public let images: IDXImages
    public let allLabels: [UInt8]
    /// Indices into `images` of this set's members, in set order.
    public let members: [Int]
    /// order[t] = (pooled) pixel fed at step t.
    public let order: [Int]
    public let pool: Int

    public var count: Int { members.count }
    public var steps: Int { order.count }
    public func label(_ i: Int) -> Int { Int(allLabels[members[i]]) }

    public init(images: IDXImages, labels: [UInt8], members: [Int], order: [Int], pool: Int) {
        precondition(images.count == labels.count && images.rows % pool == 0 && images.cols % pool == 0)
        self.images = images; self.allLabels = labels; self.members = members; self.order = order; self.pool = pool
    }

    /// Writes members `batch` (B of them, set positions) into x [T, B, 1] and labels [B].
    public func gather(_ batch: ArraySlice<Int>, x: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>) {
        let B = batch.count, T = steps, cols = images.cols, side = cols / pool
        let area = images.pixelsPerImage
        images.pixels.withUnsafeBufferPointer { px in
            for (b, s) in batch.enumerated() {
                let img = members[s]
                labels[b] = Int32(allLabels[img])
                let base = px.baseAddress! + img * area
                if pool == 1 {
                    for t in 0..<T { x[t * B + b] = Float(base[order[t]]) / 255 }
                } else {
                    let scale = Float(255 * pool * pool)
                    for t in 0..<T {
                        let r0 = (order[t] / side) * pool, c0 = (order[t] % side) * pool
                        var sum = 0
                        for r in r0..<(r0 + pool) { for c in c0..<(c0 + pool) { sum += Int(base[r * cols + c]) } }
                        x[t * B + b] = Float(sum) / scale
                    }
                }
            }
        }
    }
}

/// The train / validation / test sets of one classification job.
public struct PixelSplits: Sendable {
    public var train: PixelSequences
    public var validation: PixelSequences
    public var test: PixelSequences

    /// Default validation size: 5,000 images for a full-size training set (>= 50,000 images),
    /// else 10% of it (at least 1).
    public static func defaultValidationCount(trainImages: Int) -> Int {
        trainImages >= 50_000 ? 5_000 : max(1, trainImages / 10)
    }

    /// Splits the dataset's training images into validation (`validation` images, drawn by a
    /// shuffle seeded with `seed`) and training (the rest, at most `trainLimit`, in dataset
    /// order); the test set is the dataset's test images (the first `testLimit`). The test set
    /// is never used to choose anything.
    public static func make(_ d: ImageDataset, validation: Int?, seed: UInt64, permuted: Bool, pool: Int,
                            trainLimit: Int?, testLimit: Int?) throws -> PixelSplits {
        let n = d.trainImages.count
        let v = validation ?? defaultValidationCount(trainImages: n)
        guard v >= 1, v < n else {
            throw SpecError(field: "validation", message: "must be in 1..<\(n) (the training images of \(d.directory)), got \(v)")
        }
        guard d.trainImages.rows == 28, d.trainImages.cols == 28 else {
            throw SpecError(field: "data", message: "\(d.directory) has \(d.trainImages.rows) x \(d.trainImages.cols) images; pixel MNIST needs 28 x 28")
        }
        var idx = Array(0..<n)
        var rng = Xoshiro256(seed: seed, stream: "validation-split")
        rng.shuffle(&idx)
        let valMembers = Array(idx[0..<v]).sorted()
        var trainMembers = Array(idx[v...]).sorted()
        if let l = trainLimit { trainMembers = Array(trainMembers.prefix(l)) }
        var testMembers = Array(0..<d.testImages.count)
        if let l = testLimit { testMembers = Array(testMembers.prefix(l)) }
        let order = PixelOrder.order(permuted: permuted, pool: pool)
        return PixelSplits(
            train: PixelSequences(images: d.trainImages, labels: d.trainLabels, members: trainMembers, order: order, pool: pool),
            validation: PixelSequences(images: d.trainImages, labels: d.trainLabels, members: valMembers, order: order, pool: pool),
            test: PixelSequences(images: d.testImages, labels: d.testLabels, members: testMembers, order: order, pool: pool))
    }
}
