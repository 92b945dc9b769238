import Testing
@testable import Coordinator

/// The run loop's schedule with a fake clock: status every second, report every `reportEvery`,
/// stop 0.2 s after the sweep finished unless `--stay`.
@Suite struct RunClockTests {
    static func progress(pending: Int, running: Int) -> Scheduler.Progress {
        .init(total: 3, done: 3 - pending - running, pending: pending, running: running, failed: 0, workersAlive: 1)
    }

    @Test func statusEverySecondReportOnItsIntervalStopAfterTheLastAcksLeft() {
        var c = RunClock(start: 100, reportEvery: 5, stay: false)
        let busy = Self.progress(pending: 1, running: 1)
        var statuses = 0, reports = 0
        for i in 0..<100 {   // 10 s in 0.1 s rounds
            let due = c.after(round: busy, now: 100 + Double(i) * 0.1)
            statuses += due.status ? 1 : 0
            reports += due.report ? 1 : 0
            #expect(!due.finishedNow && !due.stop)
        }
        #expect(statuses == 10 && reports == 1)
        let done = Self.progress(pending: 0, running: 0)
        #expect(c.after(round: done, now: 110).finishedNow)
        #expect(!c.after(round: done, now: 110.1).stop)
        let last = c.after(round: done, now: 110.25)
        #expect(last.stop && !last.finishedNow)
        #expect(c.finishedAt == 110)
    }

    @Test func stayKeepsServingAfterTheEnd() {
        var c = RunClock(start: 0, reportEvery: 60, stay: true)
        let done = Self.progress(pending: 0, running: 0)
        #expect(c.after(round: done, now: 1).finishedNow)
        #expect(!c.after(round: done, now: 1000).stop)
    }
}
