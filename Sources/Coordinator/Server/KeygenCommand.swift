import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator keygen --out NAME`: a CURVE key pair for the coordinator or a worker.
/// Writes NAME.key (the secret, mode 0600) and NAME.pub (the public key).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public).")

    @Option(help: "Path prefix of the two files.")
    var out: String

    @Flag(help: "Overwrite existing files.")
    var force = false

    func run() throws {
        let keys = try CurveKeys.generate()
        let secretPath = out + ".key", publicPath = out + ".pub"
        let fm = FileManager.default
        for p in [secretPath, publicPath] where fm.fileExists(atPath: p) && !force {
            throw ValidationError("\(p) exists; pass --force to overwrite")
        }
        guard fm.createFile(atPath: secretPath, contents: Data((keys.secretKey + "\n").utf8),
                            attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(secretPath)")
        }
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
        try Data((keys.publicKey + "\n").utf8).write(to: URL(fileURLWithPath: publicPath))
        print("secret key: \(secretPath)\npublic key: \(publicPath) = \(keys.publicKey)")
    }
}
