import Foundation
import Testing

/// The coordinator benchmark is `urnn-bench coordinator` (issue 11), not a command of
/// `urnn-coordinator`: the real binary runs all three phases at a tiny size and its checks hold.
/// No timing is asserted (docs/BENCHMARKS.md has the figures).
@Suite struct BenchCommandTests {
    static var bench: URL { Bin.directory.appendingPathComponent("urnn-bench") }

    @Test func urnnBenchCoordinatorRunsEveryPhase() throws {
        try Bin.require()
        try #require(FileManager.default.isExecutableFile(atPath: Self.bench.path), "missing \(Self.bench.path)")
        let scratch = try Scratch("benchcmd")
        let f = try runToEnd(Self.bench, ["coordinator", "--jobs", "200", "--workers", "3", "--slots", "2", "--latency-jobs", "10",
                                          "--idle", "5", "--idle-seconds", "0.5", "--heartbeat-ms", "100"], in: scratch, timeout: 120)
        #expect(f.reason == .exit && f.status == 0, "\(f.stdout)\n\(f.stderr)")
        for phase in ["urnn-bench coordinator:", "throughput: 200 noop jobs", "latency: 10 noop jobs", "idle: 5 workers"] {
            #expect(f.stdout.contains(phase), "no '\(phase)' in:\n\(f.stdout)")
        }
        #expect(!f.stdout.contains("FAILED"), "\(f.stdout)")

        let bad = try runToEnd(Self.bench, ["coordinator", "--jobs", "-1"], in: scratch)
        #expect(bad.status != 0 && bad.stderr.contains("--jobs"), "\(bad.stderr)")
        let gone = try runToEnd(Bin.coordinator, ["bench", "--jobs", "1"], in: scratch)
        #expect(gone.status != 0, "urnn-coordinator still has a bench command: \(gone.stdout)")
    }
}
