// Gzip decompression over the system zlib (Debian's zlib1g), for datasets shipped as `.gz`
// (the IDX files of MNIST and Fashion-MNIST). Goals in order: never trap on bad input (a typed
// error instead), never grow without bound (an output limit), then speed (one inflate pass).

import CZlib
import Foundation

/// What went wrong decompressing gzip data.
public struct GzipError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The input does not start with the gzip magic bytes 1f 8b.
        case notGzip
        /// The input ended before the end of a gzip member (a cut-off download or copy).
        case truncated
        /// zlib rejected the stream (bad header, bad deflate data, CRC or length mismatch).
        case corrupt(String)
        /// The output would exceed the caller's limit.
        case tooLarge(limit: Int)
        /// zlib itself failed (out of memory, bad version).
        case zlib(code: Int32)
    }
    public var reason: Reason
    public init(_ reason: Reason) { self.reason = reason }

    public var description: String {
        switch reason {
        case .notGzip: return "not gzip data (no 1f 8b magic)"
        case .truncated: return "gzip data is truncated (ends inside a member)"
        case .corrupt(let why): return "gzip data is corrupt: \(why)"
        case .tooLarge(let limit): return "gzip data decompresses to more than \(limit) bytes"
        case .zlib(let code): return "zlib failed with code \(code)"
        }
    }
}

public enum Gzip {
    /// Default output limit: 2 GiB, far above any dataset file here (full MNIST images: 47 MB).
    public static let defaultMaxOutputBytes = 2 << 30

    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Decompresses gzip `data`; concatenated members (as `cat a.gz b.gz` makes) are decompressed
    /// one after another, as the `gzip` command does. Throws `GzipError` on input that is not
    /// gzip, truncated or corrupt, or whose output would exceed `maxOutputBytes`.
    public static func decompress(_ data: Data, maxOutputBytes: Int = defaultMaxOutputBytes) throws -> Data {
        guard isGzip(data) else { throw GzipError(.notGzip) }
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        let input = [UInt8](data)
        var output = Data()
        output.reserveCapacity(min(maxOutputBytes, max(input.count * 4, 1 << 16)))
        var stream = z_stream()
        // 15 + 32: a 32 KiB window, gzip or zlib header detected automatically.
        let initCode = urnn_inflate_init2(&stream, 15 + 32)
        guard initCode == Z_OK else { throw GzipError(.zlib(code: initCode)) }
        defer { inflateEnd(&stream) }

        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        return try input.withUnsafeBufferPointer { inBuf -> Data in
            var consumed = 0
            while true {
                // One member per pass of this loop.
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                stream.avail_in = UInt32(inBuf.count - consumed)
                var code: Int32 = Z_OK
                repeat {
                    code = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(chunkSize)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    let produced = chunkSize - Int(stream.avail_out)
                    if output.count + produced > maxOutputBytes { throw GzipError(.tooLarge(limit: maxOutputBytes)) }
                    output.append(chunk, count: produced)
                    switch code {
                    case Z_OK, Z_STREAM_END: break
                    case Z_BUF_ERROR:
                        // No progress possible: the input ran out inside the member.
                        if stream.avail_in == 0 { throw GzipError(.truncated) }
                    case Z_DATA_ERROR, Z_NEED_DICT:
                        let why = stream.msg.map { String(cString: $0) } ?? "invalid deflate data"
                        throw GzipError(.corrupt(why))
                    case Z_MEM_ERROR: throw GzipError(.zlib(code: code))
                    default: throw GzipError(.zlib(code: code))
                    }
                    if code == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                        // All input consumed, output not full, and the member has not ended.
                        throw GzipError(.truncated)
                    }
                } while code != Z_STREAM_END
                consumed = inBuf.count - Int(stream.avail_in)
                // Another member follows? (gzip also tolerates trailing zero padding; so do we.)
                let rest = inBuf[consumed...]
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return output }
                guard rest.count >= 2, rest[rest.startIndex] == 0x1f, rest[rest.startIndex + 1] == 0x8b else {
                    throw GzipError(.corrupt("trailing garbage after gzip member"))
                }
                let resetCode = inflateReset(&stream)
                guard resetCode == Z_OK else { throw GzipError(.zlib(code: resetCode)) }
            }
        }
    }
}
