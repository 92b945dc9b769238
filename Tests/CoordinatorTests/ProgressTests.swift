import Foundation
import Shared
import Testing
@testable import Coordinator

@Suite struct ProgressTests {
    @Test func lineShowsCountsRateAndETA() {
        let p = ProgressSnapshot(total: 100, done: 40, running: 4, pending: 50, failed: 10, diverged: 2,
                                 workersAlive: 3, jobsPerMinute: 60)
        // 50 jobs left at 60 per minute: 50 s.
        #expect(p.etaSeconds == 50)
        #expect(p.line == "40/100 done (50.0%), running 4, failed 10, diverged 2, workers 3, 60.0 jobs/min, ETA 50s")
        let idle = ProgressSnapshot(total: 10, done: 0, running: 0, pending: 10, failed: 0, diverged: 0,
                                    workersAlive: 0, jobsPerMinute: nil)
        #expect(idle.etaSeconds == nil)
        #expect(idle.line.hasSuffix("workers 0, ETA ?"))
        #expect(!idle.line.contains("diverged"))
    }

    /// Cancelled jobs count as finished (never as left to run); paused ones are shown, and when
    /// only paused jobs are left the line says the sweep is paused instead of an ETA.
    @Test func lineShowsCancelledAndPausedJobsWhenThereAreAny() {
        var p = ProgressSnapshot(total: 100, done: 40, running: 4, pending: 26, failed: 10, diverged: 0,
                                 workersAlive: 3, jobsPerMinute: 60, cancelled: 10, paused: 10)
        // 40 jobs left (26 pending, 4 running, 10 paused) at 60 per minute: 40 s.
        #expect(p.etaSeconds == 40)
        #expect(p.line == "40/100 done (60.0%), running 4, failed 10, cancelled 10, paused 10, workers 3, 60.0 jobs/min, ETA 40s")
        // Everything left is paused: no ETA, the sweep waits for `resume`.
        p.pending = 0; p.running = 0; p.paused = 40
        #expect(p.isPaused && p.etaSeconds == nil)
        #expect(p.line == "40/100 done (60.0%), running 0, failed 10, cancelled 10, paused 40, workers 3, 60.0 jobs/min, sweep paused")
        // A sweep whose rest was cancelled is complete.
        let over = ProgressSnapshot(total: 10, done: 4, running: 0, pending: 0, failed: 0, diverged: 0,
                                    workersAlive: 1, jobsPerMinute: 6, cancelled: 6)
        #expect(over.line == "4/10 done (100.0%), running 0, failed 0, cancelled 6, workers 1, 6.0 jobs/min, ETA 0s")
        // None of either: the line is as before.
        let plain = ProgressSnapshot(total: 10, done: 5, running: 1, pending: 4, failed: 0, diverged: 0,
                                     workersAlive: 1, jobsPerMinute: nil)
        #expect(!plain.line.contains("cancelled") && !plain.line.contains("paused") && plain.line.hasSuffix("ETA ?"))
    }

    @Test func durationsAreShortAndExact() {
        #expect(ProgressSnapshot.formatDuration(59.4) == "59s")
        #expect(ProgressSnapshot.formatDuration(61) == "1m01s")
        #expect(ProgressSnapshot.formatDuration(3 * 3600 + 5 * 60) == "3h05m")
        #expect(ProgressSnapshot.formatDuration(2 * 86400 + 3 * 3600) == "2d03h")
        #expect(ProgressSnapshot.formatDuration(.infinity) == "?")
        #expect(ProgressSnapshot.formatDuration(nil) == "?")
    }

    @Test func rateIsOverTheWindowOnly() {
        var r = RateMeter(window: 10)
        r.record(now: 0, finished: 0)
        #expect(r.perMinute == nil) // less than 2 s of history
        r.record(now: 5, finished: 10)
        #expect(r.perMinute == 120)
        // An idle stretch longer than the window forgets the old burst.
        r.record(now: 30, finished: 10)
        r.record(now: 40, finished: 10)
        #expect(r.perMinute == 0)
    }

    @Test func onlyLoopbackBindsWithoutKeys() throws {
        for text in ["tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:5555", "ipc:///tmp/x", "inproc://a"] {
            let e = try Endpoint.parse(text, for: .bind)
            #expect(e.isLoopback, "\(e)")
            try BindPolicy.check(endpoint: e, hasCurveKeys: false, insecure: false)
        }
        for text in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.1:1"] {
            let e = try Endpoint.parse(text, for: .bind)
            #expect(!e.isLoopback, "\(e)")
            #expect(throws: CoordinatorError.self) { try BindPolicy.check(endpoint: e, hasCurveKeys: false, insecure: false) }
            try BindPolicy.check(endpoint: e, hasCurveKeys: true, insecure: false)
            try BindPolicy.check(endpoint: e, hasCurveKeys: false, insecure: true)
        }
        // Not endpoints at all: refused before any policy question.
        for text in ["udp://127.0.0.1:1", "garbage", "tcp://127.0.0.1:99999"] {
            #expect(throws: Endpoint.Invalid.self) { try Endpoint.parse(text, for: .bind) }
        }
    }
}
