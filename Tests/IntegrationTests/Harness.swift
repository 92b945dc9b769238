import Foundation
import Shared
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Black-box helpers: the built binaries, scratch folders, child processes with their output
/// captured to files, free loopback ports and bounded waits.
///
/// Every wait here has a timeout, and every child is killed when its `Children` group is
/// torn down (tests `defer { children.killAll() }`), so a hang fails a test instead of
/// blocking CI and a failed test leaves no stray process behind.
enum Bin {
    /// The package root: Tests/IntegrationTests/Harness.swift -> ../../..
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$URNN_BIN_DIR`, else `<package root>/.build/debug` (what `swift build` leaves).
    static var directory: URL {
        if let d = ProcessInfo.processInfo.environment["URNN_BIN_DIR"], !d.isEmpty { return URL(fileURLWithPath: d) }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    static var coordinator: URL { directory.appendingPathComponent("urnn-coordinator") }
    static var worker: URL { directory.appendingPathComponent("urnn-worker") }

    /// Fails the calling test (instead of crashing) when the binaries were not built.
    static func require() throws {
        for b in [coordinator, worker] {
            try #require(FileManager.default.isExecutableFile(atPath: b.path),
                         "missing \(b.path): run `swift build` first or set URNN_BIN_DIR")
        }
    }
}

/// A fresh temporary folder, removed on deinit unless `$URNN_KEEP_TMP` is set.
final class Scratch {
    let url: URL

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("urnn-integ-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        if ProcessInfo.processInfo.environment["URNN_KEEP_TMP"] == nil { try? FileManager.default.removeItem(at: url) }
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

/// A running child process; stdout and stderr go to files (a pipe could fill up and block it).
final class Child: @unchecked Sendable {
    let name: String
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: URL, _ arguments: [String], name: String, in scratch: Scratch,
         environment: [String: String] = [:]) throws {
        self.name = name
        stdoutPath = scratch.path("\(name).stdout")
        stderrPath = scratch.path("\(name).stderr")
        for p in [stdoutPath, stderrPath] { _ = FileManager.default.createFile(atPath: p, contents: nil) }
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    /// Bytes written to stderr so far (a position in the log, e.g. "after the kill").
    var stderrSize: Int { ((try? FileManager.default.attributesOfItem(atPath: stderrPath)[.size]) as? Int) ?? 0 }

    /// stderr from byte `offset` on.
    func stderr(from offset: Int) -> String {
        guard let d = FileManager.default.contents(atPath: stderrPath), offset <= d.count else { return "" }
        return String(decoding: d[offset...], as: UTF8.self)
    }

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }

    /// Waits up to `timeout` seconds for the process to exit; true if it did.
    @discardableResult
    func waitExit(timeout: Double) -> Bool {
        waitUntil(timeout: timeout, poll: 0.02) { !self.process.isRunning }
    }

    /// SIGTERM (so a coordinator stops its local workers), then SIGKILL if it lingers.
    func stop(grace: Double = 3) {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if !waitExit(timeout: grace) { signal(SIGKILL); waitExit(timeout: 5) }
    }

    /// A one-paragraph account for failure messages.
    var diagnostics: String {
        let tail = { (s: String) in s.split(separator: "\n").suffix(25).joined(separator: "\n") }
        return "[\(name) pid \(pid) running=\(isRunning)]\n--- stdout ---\n\(tail(stdout))\n--- stderr ---\n\(tail(stderr))"
    }
}

/// The children of one test; `killAll()` (in a `defer`) ends every one still running.
final class Children {
    private(set) var all: [Child] = []
    let scratch: Scratch

    init(_ scratch: Scratch) { self.scratch = scratch }

    func start(_ executable: URL, _ arguments: [String], name: String, environment: [String: String] = [:]) throws -> Child {
        let c = try Child(executable, arguments, name: name, in: scratch, environment: environment)
        all.append(c)
        return c
    }

    func killAll() { for c in all { c.stop(grace: 2) } }

    var diagnostics: String { all.map(\.diagnostics).joined(separator: "\n") }
}

/// The finished run of a short command.
struct Finished {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
    var exitedNormally: Bool { reason == .exit }
}

/// Runs a command to its end (killed and recorded as a failure after `timeout` seconds).
func runToEnd(_ executable: URL, _ arguments: [String], in scratch: Scratch, timeout: Double = 30,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> Finished {
    let c = try Child(executable, arguments, name: "cmd-\(UUID().uuidString.prefix(8))", in: scratch)
    if !c.waitExit(timeout: timeout) {
        c.stop(grace: 1)
        Issue.record("timed out after \(timeout) s: \(executable.lastPathComponent) \(arguments.joined(separator: " "))",
                     sourceLocation: sourceLocation)
    }
    let f = Finished(status: c.process.terminationStatus, reason: c.process.terminationReason, stdout: c.stdout, stderr: c.stderr)
    try? FileManager.default.removeItem(atPath: c.stdoutPath)
    try? FileManager.default.removeItem(atPath: c.stderrPath)
    return f
}

/// Polls `condition` every `poll` seconds for up to `timeout` seconds; true once it holds.
@discardableResult
func waitUntil(timeout: Double, poll: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(UInt32(poll * 1_000_000))
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0).
func freeLoopbackPort() throws -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    try #require(fd >= 0, "socket() failed")
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
        }
    }
    try #require(bound, "bind/getsockname on 127.0.0.1:0 failed")
    return Int(UInt16(bigEndian: addr.sin_port))
}
