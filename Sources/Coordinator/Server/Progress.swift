import Foundation

/// A snapshot of a sweep's progress, and its rendering for a terminal line or a log line.
struct ProgressSnapshot: Equatable, Sendable {
    var total: Int
    var done: Int
    var running: Int
    var pending: Int
    var failed: Int
    var diverged: Int
    var workersAlive: Int
    /// Finished jobs per minute over the recent window; nil before there is a rate.
    var jobsPerMinute: Double?
    /// Jobs cancelled by the user (final: they count as finished, never as left to run).
    var cancelled = 0
    /// Pending jobs a pause rule holds back (not in `pending`).
    var paused = 0

    /// True when jobs are left but every one of them is held by a pause rule.
    var isPaused: Bool { paused > 0 && pending == 0 && running == 0 }

    /// Seconds until the remaining jobs finish at the current rate; nil if unknown or paused.
    var etaSeconds: Double? {
        guard let r = jobsPerMinute, r > 0, !isPaused else { return nil }
        let remaining = max(0, total - done - failed - cancelled)
        return Double(remaining) / r * 60
    }

    /// `40/100 done (53.0%), running 4, failed 10, cancelled 3, paused 20, workers 3, 60.0 jobs/min, ETA 50s`;
    /// diverged, cancelled and paused only when there are any; `sweep paused` instead of the ETA
    /// when only paused jobs are left.
    var line: String {
        let pct = total > 0 ? 100 * Double(done + failed + cancelled) / Double(total) : 100
        var s = "\(done)/\(total) done (\(String(format: "%.1f", pct))%)"
        s += ", running \(running), failed \(failed)"
        if diverged > 0 { s += ", diverged \(diverged)" }
        if cancelled > 0 { s += ", cancelled \(cancelled)" }
        if paused > 0 { s += ", paused \(paused)" }
        s += ", workers \(workersAlive)"
        if let r = jobsPerMinute { s += ", \(String(format: r >= 100 ? "%.0f" : "%.1f", r)) jobs/min" }
        s += isPaused ? ", sweep paused" : ", ETA " + Self.formatDuration(etaSeconds)
        return s
    }

    static func formatDuration(_ seconds: Double?) -> String {
        guard let t = seconds, t.isFinite else { return "?" }
        let s = Int(t.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        return "\(s / 86400)d\(String(format: "%02d", (s % 86400) / 3600))h"
    }
}

/// Finished-job rate over a sliding window of (time, cumulative count) samples.
struct RateMeter: Sendable {
    var window: Double = 60
    private var samples: [(t: Double, n: Int)] = []

    init(window: Double = 60) { self.window = window }

    /// Keeps at most one sample a second (the poll loop calls this every round).
    mutating func record(now: Double, finished: Int) {
        if let last = samples.last, now - last.t < 1 { return }
        samples.append((now, finished))
        while let first = samples.first, now - first.t > window, samples.count > 2 { samples.removeFirst() }
    }

    /// Jobs per minute, or nil with less than 2 seconds of history.
    var perMinute: Double? {
        guard let a = samples.first, let b = samples.last, b.t - a.t >= 2 else { return nil }
        return Double(b.n - a.n) / (b.t - a.t) * 60
    }
}

/// Writes progress: one refreshed line on a terminal, or a plain line every `logInterval`
/// seconds otherwise (stdout to a pipe is block-buffered, so every line is flushed).
struct ProgressPrinter {
    let isTerminal: Bool
    var logInterval: Double
    private var lastPrint: Double = -.infinity
    private var lastLine = ""

    init(isTerminal: Bool = isatty(STDOUT_FILENO) != 0, logInterval: Double = 10) {
        self.isTerminal = isTerminal; self.logInterval = logInterval
    }

    /// Cheap when nothing is due: the line is only built when it may be printed.
    mutating func show(_ p: ProgressSnapshot, now: Double, force: Bool = false) {
        if !force && now - lastPrint < (isTerminal ? 0.25 : logInterval) { return }
        let line = p.line
        if isTerminal {
            guard line != lastLine || force else { return }
            FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line + (force ? "\n" : "")).utf8))
        } else {
            FileHandle.standardOutput.write(Data(("progress: " + line + "\n").utf8))
        }
        lastPrint = now; lastLine = line
    }
}
