import Foundation
import Shared
import Testing

/// Headless Chromium (Debian's `chromium`) as the user's browser.
enum Browser {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil }

    /// The DOM after the page's script ran: Chromium loads `url`, runs it for `budgetMs` of virtual
    /// time (fetches complete within it) and prints the DOM. Bounded by `timeout` seconds.
    static func dom(_ url: String, in scratch: Scratch, budgetMs: Int = 4000, timeout: Double = 60) throws -> String {
        let f = try runToEnd(URL(fileURLWithPath: path!), flags(scratch) + ["--virtual-time-budget=\(budgetMs)", "--dump-dom", url],
                             in: scratch, timeout: timeout)
        try #require(f.exitedNormally && f.status == 0, "chromium failed on \(url): \(f.stderr.suffix(2000))")
        return f.stdout
    }

    static func screenshot(_ url: String, to file: String, in scratch: Scratch, size: String = "1280,1000") throws {
        let f = try runToEnd(URL(fileURLWithPath: path!), flags(scratch) + ["--virtual-time-budget=4000", "--hide-scrollbars",
                             "--window-size=\(size)", "--screenshot=\(file)", url], in: scratch, timeout: 60)
        try #require(f.exitedNormally && f.status == 0, "chromium screenshot failed: \(f.stderr.suffix(2000))")
    }

    /// Root needs --no-sandbox; a profile of its own per test; nothing fetched from elsewhere.
    static func flags(_ scratch: Scratch) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-sync", "--user-data-dir=\(scratch.path("chromium-profile"))"]
    }

    /// The first capture group of `pattern` in `text`.
    static func first(_ pattern: String, in text: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }

    static func all(_ pattern: String, in text: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// Rows of the table with `id`, as cell texts (tags stripped).
    static func tableRows(_ id: String, in dom: String) -> [[String]] {
        guard let body = first("<table id=\"\(id)\">.*?<tbody>(.*?)</tbody>", in: dom) else { return [] }
        return all("<tr>(.*?)</tr>", in: body).map { row in
            all("<td[^>]*>(.*?)</td>", in: row).map { cell in
                cell.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
                    .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
                    .replacingOccurrences(of: "&gt;", with: ">")
            }
        }
    }
}

extension LiveSweeps {
    /// The web view as a person uses it: a real `run smoke --http` with 2 local workers, and
    /// headless Chromium rendering the pages while it runs (docs/WEB.md, "Tests").
    @Suite(.enabled(if: Browser.available, "needs Debian's chromium package"))
    struct BrowserView {
        @Test(.timeLimit(.minutes(10)))
        func pageFollowsASmokeSweepAndEndsWithTheReportsTable() throws {
            try Bin.require()
            let scratch = try Scratch("browser")
            let children = Children(scratch)
            defer { children.killAll() }
            let store = scratch.path("smoke.sqlite")
            let coordinator = try children.start(Bin.coordinator, [
                "run", ProcessInfo.processInfo.environment["URNN_BROWSER_SWEEP"] ?? "smoke", "--store", store,
                "--report", scratch.path("live-report"), "--local-workers", "2", "--heartbeat-ms", "500",
                "--http", "127.0.0.1:0", "--stay",
            ], name: "coordinator")
            var base = ""
            try #require(waitUntil(timeout: 60) {
                base = Browser.first("web view: (http://127\\.0\\.0\\.1:[0-9]+/)", in: coordinator.stderr) ?? ""
                return !base.isEmpty
            }, "no web view URL in the log\n\(children.diagnostics)")

            // Progress as the overview renders it, until the sweep is done; it must rise.
            var seen: [Int] = []
            var total = 0
            var jobPageChecked = false
            let deadline = Date().addingTimeInterval(540)
            while Date() < deadline {
                let dom = try Browser.dom(base + "?live=0", in: scratch, budgetMs: 3000)
                if let d = Browser.first("id=\"progress-text\" data-done=\"([0-9]+)\"", in: dom).flatMap(Int.init),
                   let t = Browser.first("data-total=\"([0-9]+)\"", in: dom).flatMap(Int.init) {
                    if seen.last != d { seen.append(d) }
                    total = t
                    #expect(Browser.tableRows("workers", in: dom).count == 2, "both local workers listed")
                }
                if !jobPageChecked, (seen.last ?? 0) > 0 {
                    // A done job's page, reached from the jobs table, shows its curves.
                    let jobs = try Browser.dom(base + "jobs?state=done&live=0", in: scratch, budgetMs: 3000)
                    let id = try #require(Browser.first("<a href=\"/jobs/([0-9a-f]+)\">", in: jobs), "no done job linked\n\(jobs.prefix(3000))")
                    let page = try Browser.dom(base + "jobs/" + id + "?live=0", in: scratch, budgetMs: 3000)
                    let curves = try #require(Browser.first("<figure id=\"job-curves\">(.*?)</figure>", in: page), "no curves\n\(page.prefix(3000))")
                    #expect(curves.contains("<svg") && curves.contains("train_loss") && curves.contains("test_r2"))
                    #expect(curves.contains("<polyline") || curves.contains("<path"), "the curves have lines")
                    #expect(page.contains("id=\"job-spec\"") && page.contains("&quot;synthetic&quot;") || page.contains("\"synthetic\""))
                    jobPageChecked = true
                }
                if total > 0, seen.last == total { break }
                usleep(500_000)
            }
            #expect(total == 36, "the smoke sweep has 36 jobs\n\(children.diagnostics)")
            #expect(seen.last == total, "the page reached \(total) done: saw \(seen)")
            #expect(seen.count >= 3, "progress rose in steps on the page: \(seen)")
            #expect(seen == seen.sorted(), "progress never went back: \(seen)")
            #expect(jobPageChecked)

            // The live stream reaches the page: the script counts `update` events.
            let live = try Browser.dom(base, in: scratch, budgetMs: 3000)
            let updates = Browser.first("data-updates=\"([0-9]+)\"", in: live).flatMap(Int.init) ?? 0
            #expect(updates >= 1, "no SSE update reached the page")

            // The final table on the page is report's summary.md, row for row.
            let results = try Browser.dom(base + "results?live=0", in: scratch, budgetMs: 5000)
            let rows = Browser.tableRows("results-0", in: results)
            let out = scratch.path("report")
            let report = try runToEnd(Bin.coordinator, ["report", "--store", store, "--out", out], in: scratch, timeout: 120)
            try #require(report.status == 0, "report failed: \(report.stderr)")
            let md = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
            let mdRows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| model") }
                .map { $0.dropFirst(2).dropLast(2).components(separatedBy: " | ") }
            #expect(rows.count == 12, "rnn/urnn/lstm x 4 sizes")
            #expect(rows == mdRows, "page:\n\(rows)\nsummary.md:\n\(mdRows)")

            // The figures page draws the report's figure.
            let figures = try Browser.dom(base + "figures?live=0", in: scratch, budgetMs: 5000)
            #expect(figures.contains("id=\"figure-fig-snr20\"") && figures.contains("URNN at half its hidden units"))

            let png = scratch.path("overview.png")
            try Browser.screenshot(base, to: png, in: scratch)
            let head = try #require(FileManager.default.contents(atPath: png)).prefix(8)
            #expect(Array(head) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            if let keep = ProcessInfo.processInfo.environment["URNN_SCREENSHOT_DIR"] {
                try? FileManager.default.removeItem(atPath: keep + "/web-overview.png")
                try FileManager.default.copyItem(atPath: png, toPath: keep + "/web-overview.png")
            }

            coordinator.stop(grace: 15)
            #expect(coordinator.process.terminationReason == .exit)
        }
    }
}
