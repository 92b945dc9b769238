/// When the run loop writes its status row (every second), refreshes the report (every
/// `reportEvery` s), and stops: 0.2 s after the sweep finished, so the last ACKs leave, unless
/// `stay`. Pure: time passed in (`RunClockTests`).
struct RunClock {
    struct Due: Equatable {
        var status = false
        var report = false
        /// The sweep finished in this round (first time).
        var finishedNow = false
        var stop = false
    }

    let start: Double
    let reportEvery: Double
    let stay: Bool
    private var lastStatus = -Double.infinity
    private var lastReport: Double
    private(set) var finishedAt: Double?

    init(start: Double, reportEvery: Double, stay: Bool) {
        self.start = start; self.reportEvery = reportEvery; self.stay = stay
        lastReport = start
    }

    mutating func after(round p: Scheduler.Progress, now: Double) -> Due {
        var due = Due()
        if now - lastStatus >= 1 { lastStatus = now; due.status = true }
        if now - lastReport >= reportEvery { lastReport = now; due.report = true }
        if p.isFinished {
            if finishedAt == nil { finishedAt = now; due.finishedNow = true }
            if !stay, now - finishedAt! >= 0.2 { due.stop = true }
        }
        return due
    }
}
