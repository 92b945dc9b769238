// Reader for the IDX files of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//
//   images (idx3): magic 00 00 08 03, count, rows, cols (big-endian UInt32), then count*rows*cols bytes
//   labels (idx1): magic 00 00 08 01, count, then count bytes
//
// raw or gzip-compressed (detected by the gzip magic, not the file name). Every malformed input
// (wrong magic, implausible dimensions, truncated or over-long data, a label outside 0..<classes)
// is an `IDXError` naming the file and what is wrong; nothing here traps on bad bytes.

import Foundation

public struct IDXError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var message: String
    public init(file: String, message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// Images of one IDX3 file: `count` images of rows x cols bytes, row-major, image after image.
public struct IDXImages: Sendable, Equatable {
    public var count: Int
    public var rows: Int
    public var cols: Int
    public var pixels: [UInt8]
    public var pixelsPerImage: Int { rows * cols }
}

public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Largest image side accepted (MNIST's is 28).
    public static let maxSide = 1024
    /// Largest file, after decompression (full MNIST training images: 47 MB).
    public static let maxBytes = 1 << 30

    /// The file's bytes, gunzipped if they are gzip.
    public static func readBytes(_ url: URL) throws -> [UInt8] {
        let name = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw IDXError(file: name, message: "cannot read: \((error as NSError).localizedDescription)")
        }
        if data.isEmpty { throw IDXError(file: name, message: "empty file") }
        if Gzip.isGzip(data) {
            do { return [UInt8](try Gzip.decompress(data, maxOutputBytes: maxBytes)) } catch {
                throw IDXError(file: name, message: "bad gzip: \(error)")
            }
        }
        guard data.count <= maxBytes else { throw IDXError(file: name, message: "larger than \(maxBytes) bytes") }
        return [UInt8](data)
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    /// Parses an idx3 image file's bytes; `name` is used in errors.
    public static func parseImages(_ b: [UInt8], name: String) throws -> IDXImages {
        func bad(_ m: String) -> IDXError { IDXError(file: name, message: m) }
        guard b.count >= 16 else { throw bad("too short for an idx3 header (\(b.count) bytes, need 16)") }
        let magic = u32(b, 0)
        guard magic == imagesMagic else {
            throw bad(String(format: "wrong magic 0x%08x (an idx3 image file has 0x%08x%@)", magic, imagesMagic,
                             magic == labelsMagic ? "; this looks like a label file" : ""))
        }
        let count = Int(u32(b, 4)), rows = Int(u32(b, 8)), cols = Int(u32(b, 12))
        guard count >= 1 else { throw bad("holds no images (count 0)") }
        guard (1...maxSide).contains(rows), (1...maxSide).contains(cols) else {
            throw bad("implausible image size \(rows) x \(cols) (each side must be 1...\(maxSide))")
        }
        let need = count * rows * cols
        guard b.count - 16 >= need else {
            throw bad("truncated: header says \(count) images of \(rows) x \(cols) = \(need) bytes, file has \(b.count - 16)")
        }
        guard b.count - 16 == need else {
            throw bad("\(b.count - 16 - need) bytes after the \(count) images the header announces")
        }
        return IDXImages(count: count, rows: rows, cols: cols, pixels: Array(b[16...]))
    }

    /// Parses an idx1 label file's bytes; every label must be in 0..<classes.
    public static func parseLabels(_ b: [UInt8], name: String, classes: Int = 10) throws -> [UInt8] {
        func bad(_ m: String) -> IDXError { IDXError(file: name, message: m) }
        guard b.count >= 8 else { throw bad("too short for an idx1 header (\(b.count) bytes, need 8)") }
        let magic = u32(b, 0)
        guard magic == labelsMagic else {
            throw bad(String(format: "wrong magic 0x%08x (an idx1 label file has 0x%08x%@)", magic, labelsMagic,
                             magic == imagesMagic ? "; this looks like an image file" : ""))
        }
        let count = Int(u32(b, 4))
        guard count >= 1 else { throw bad("holds no labels (count 0)") }
        guard b.count - 8 >= count else { throw bad("truncated: header says \(count) labels, file has \(b.count - 8)") }
        guard b.count - 8 == count else { throw bad("\(b.count - 8 - count) bytes after the \(count) labels the header announces") }
        let labels = Array(b[8...])
        if let i = labels.firstIndex(where: { Int($0) >= classes }) {
            throw bad("label \(labels[i]) at index \(i) is outside 0...\(classes - 1)")
        }
        return labels
    }

    public static func readImages(_ url: URL) throws -> IDXImages { try parseImages(readBytes(url), name: url.path) }
    public static func readLabels(_ url: URL, classes: Int = 10) throws -> [UInt8] {
        try parseLabels(readBytes(url), name: url.path, classes: classes)
    }
}
