import CZmq
import Foundation

/// CURVE key pairs in Z85 text (40 characters each).
public struct CurveKeys: Sendable, Equatable, Codable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey; self.secretKey = secretKey
    }

    /// A fresh key pair from libsodium (`zmq_curve_keypair`).
    public static func generate() throws -> CurveKeys {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        try zmqCall("zmq_curve_keypair") { _ in zmq_curve_keypair(&pub, &sec) }
        return CurveKeys(publicKey: z85String(pub), secretKey: z85String(sec))
    }

    /// The public key belonging to a Z85 secret key (`zmq_curve_public`).
    public static func publicKey(forSecret secret: String) throws -> String {
        let s = try checked(secret)
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](s.map { CChar(bitPattern: $0) }) + [0]
        try zmqCall("zmq_curve_public") { _ in zmq_curve_public(&pub, &sec) }
        return z85String(pub)
    }

    /// A NUL-terminated C buffer as a String.
    private static func z85String(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The key as bytes to pass to setsockopt, after checking it is 40 Z85 characters.
    static func checked(_ z85: String) throws -> Data {
        let bytes = Data(z85.utf8)
        var decoded = [UInt8](repeating: 0, count: 32)
        guard bytes.count == 40, zmq_z85_decode(&decoded, z85) != nil else {
            throw ZMQError(errno: EINVAL, operation: "CURVE key must be 40 Z85 characters, got \(bytes.count)")
        }
        return bytes
    }
}
