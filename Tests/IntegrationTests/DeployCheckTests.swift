import Foundation
import Testing

/// The deploy files are checked offline: shell syntax of every script and
/// `systemd-analyze verify` of the unit (deploy/check.sh).
@Suite struct DeployCheckTests {
    @Test func deployFilesPassOfflineChecks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("deploy/check.sh").path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "deploy/check.sh failed: \(text)")
    }
}
