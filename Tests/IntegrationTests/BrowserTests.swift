import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Shared
import Testing

/// Headless Chromium (Debian's `chromium`) as the user's browser.
enum Browser {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil }

    /// The DOM after the page's script ran: Chromium loads `url`, runs it for `budgetMs` of virtual
    /// time (fetches complete within it) and prints the DOM. Bounded by `timeout` seconds.
    static func dom(_ url: String, in scratch: Scratch, budgetMs: Int = 3000, timeout: Double = 60) throws -> String {
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
         "--disable-background-networking", "--disable-sync", "--user-data-dir=\(scratch.path("chromium-\(UUID().uuidString.prefix(8))"))"]
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

/// The DevTools HTTP endpoint of a running headless Chromium: its pages' titles, read while the
/// page lives (no reload), over plain HTTP on loopback.
struct DevTools {
    let port: Int

    /// Waits for Chromium's `DevToolsActivePort` file in `profile` (it picks the port for 0).
    static func attach(profile: String, timeout: Double = 30) throws -> DevTools {
        var port = 0
        try #require(waitUntil(timeout: timeout, poll: 0.1) {
            let text = (try? String(contentsOfFile: profile + "/DevToolsActivePort", encoding: .utf8)) ?? ""
            port = text.split(separator: "\n").first.flatMap { Int($0) } ?? 0
            return port > 0
        }, "Chromium wrote no DevToolsActivePort in \(profile)")
        return DevTools(port: port)
    }

    /// Titles of the open pages whose URL starts with `prefix`.
    func titles(prefix: String) -> [String] {
        guard let data = httpGet(port: port, path: "/json/list"),
              let pages = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return pages.compactMap { p in
            guard (p["url"] as? String)?.hasPrefix(prefix) == true else { return nil }
            return p["title"] as? String
        }
    }
}

/// A bounded HTTP/1.1 GET (Connection: close) of `path` on 127.0.0.1:`port` over a plain socket (2 s receive
/// timeout), the body or nil. (Foundation's URLSession on Linux fails on DevTools' response
/// headers with "Failed writing header".)
func httpGet(port: Int, path: String) -> Data? {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
    var response = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    var expected: Int?
    while response.count < 16 << 20 {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        response.append(contentsOf: buffer[0..<n])
        if expected == nil, let end = response.range(of: Data("\r\n\r\n".utf8)) {
            let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
            if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
               let length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) {
                expected = end.upperBound + length
            }
        }
        if let e = expected, response.count >= e { break }
    }
    guard let split = response.range(of: Data("\r\n\r\n".utf8)),
          String(decoding: response[..<split.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 200") ||
          String(decoding: response[..<split.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.0 200") else { return nil }
    return response[split.upperBound...]
}

extension LiveSweeps {
    /// The web view as a person uses it: a real `run --http`, 2 real workers joining once the page
    /// is open, and headless Chromium on its pages while the sweep runs (docs/WEB.md, "Tests"). By default the sweep is the
    /// `smoke` grid (3 realizations x hidden 2, 4, 8, 14 x rnn/urnn/lstm = 36 jobs) on tiny data, so
    /// a debug build finishes it in about a minute; `URNN_BROWSER_SWEEP=smoke` runs the preset itself
    /// (with `URNN_BIN_DIR=.build/release`, about a minute on 2 cores).
    @Suite(.enabled(if: Browser.available, "needs Debian's chromium package"))
    struct BrowserView {
        static let tinySmoke = """
            name: smoke
            kind: synthetic
            description: the smoke grid on tiny data, for the browser test
            grid:
              realization: 0..2
              hidden: [2, 4, 8, 14]
              model: [rnn, urnn, lstm]
            fixed:
              snr: 20
              epochs: 3
              sequences: 20
              train: 14
              steps: 30

            """

        @Test(.timeLimit(.minutes(15)))
        func pageFollowsASmokeSweepAndEndsWithTheReportsTable() throws {
            try Bin.require()
            let scratch = try Scratch("browser")
            let children = Children(scratch)
            defer { children.killAll() }
            let store = scratch.path("smoke.sqlite")
            let sweep = try ProcessInfo.processInfo.environment["URNN_BROWSER_SWEEP"] ?? scratch.write("smoke.yaml", Self.tinySmoke)
            // The workers join once the page is open (below), so the open page sees the whole sweep.
            let zmqPort = try freeLoopbackPort()
            let coordinator = try children.start(Bin.coordinator, [
                "run", sweep, "--store", store, "--report", scratch.path("live-report"), "--bind", "tcp://127.0.0.1:\(zmqPort)",
                "--heartbeat-ms", "500", "--http", "127.0.0.1:0", "--stay",
            ], name: "coordinator")
            var base = ""
            try #require(waitUntil(timeout: 60) {
                base = Browser.first("web view: (http://127\\.0\\.0\\.1:[0-9]+/)", in: coordinator.stderr) ?? ""
                return !base.isEmpty
            }, "no web view URL in the log\n\(children.diagnostics)")

            // One page load, kept open: the script sets the title from every SSE update, so the
            // titles DevTools reports are the page's live progress, without a reload.
            let profile = scratch.path("chromium-live")
            let browser = try children.start(URL(fileURLWithPath: Browser.path!), Browser.flags(scratch).filter { !$0.hasPrefix("--user-data-dir") }
                + ["--user-data-dir=\(profile)", "--remote-debugging-port=0", base], name: "chromium")
            let devtools = try DevTools.attach(profile: profile)
            try #require(waitUntil(timeout: 60, poll: 0.2) {
                devtools.titles(prefix: base).first?.contains("· 0/36 done") == true
            }, "the open page never showed 0/36 done: \(devtools.titles(prefix: base))\n\(children.diagnostics)")
            let cmd = Commands(scratch: scratch, children: children)
            for i in 0..<2 { _ = try cmd.worker(port: zmqPort, id: "browser-w\(i)", slots: 1, heartbeatMs: 500) }
            var seen: [Int] = []
            var total = 0
            var jobPageChecked = false
            var jobPageID: String?
            let deadline = Date().addingTimeInterval(420)
            let started = Date()
            while Date() < deadline, browser.isRunning {
                try #require(!seen.isEmpty || Date().timeIntervalSince(started) < 60,
                             "the open page showed no progress in its title for 60 s\n\(children.diagnostics)")
                if let title = devtools.titles(prefix: base).first,
                   let d = Browser.first("· ([0-9]+)/[0-9]+ done", in: title).flatMap(Int.init),
                   let t = Browser.first("· [0-9]+/([0-9]+) done", in: title).flatMap(Int.init) {
                    if seen.last != d { seen.append(d) }
                    total = t
                }
                if !jobPageChecked, (seen.last ?? 0) > 0 {
                    // A done job's page, reached from the jobs table, shows its curves.
                    let jobs = try Browser.dom(base + "jobs?state=done&live=0", in: scratch)
                    let id = try #require(Browser.first("<a href=\"/jobs/([0-9a-f]+)\">", in: jobs), "no done job linked\n\(jobs.prefix(3000))")
                    let page = try Browser.dom(base + "jobs/" + id + "?live=0", in: scratch)
                    let curves = try #require(Browser.first("<figure id=\"job-curves\">(.*?)</figure>", in: page), "no curves\n\(page.prefix(3000))")
                    #expect(curves.contains("<svg") && curves.contains("train_loss") && curves.contains("test_r2"))
                    #expect(curves.contains("<polyline") || curves.contains("<path"), "the curves have lines")
                    #expect(page.contains("id=\"job-spec\""))
                    // Its lease history: the last lease is the one whose result was stored.
                    let leases = Browser.tableRows("job-leases", in: page)
                    let last = try #require(leases.last, "no lease table\n\(page.prefix(3000))")
                    #expect(last.count == 7 && last[1].hasPrefix("browser-w") && last[2] != "–" && last[6] == "result stored", "\(leases)")
                    jobPageChecked = true
                    jobPageID = id
                }
                if total > 0, seen.last == total { break }
                usleep(200_000)
            }
            #expect(total == 36, "the smoke grid has 36 jobs\n\(children.diagnostics)")
            #expect(seen.last == total, "the live page reached \(total) done: saw \(seen)")
            #expect(seen.count >= 3, "progress rose in steps on the open page: \(seen)")
            #expect(seen == seen.sorted(), "progress never went back: \(seen)")
            #expect(jobPageChecked)
            browser.stop(grace: 2)

            // The overview, rendered: counts and both workers.
            let overview = try Browser.dom(base + "?live=0", in: scratch)
            #expect(overview.contains("id=\"progress-text\" data-done=\"36\" data-total=\"36\""))
            #expect(Browser.tableRows("workers", in: overview).count == 2, "both local workers listed")

            // The final table on the page is report's summary.md, row for row.
            let results = try Browser.dom(base + "results?live=0", in: scratch, budgetMs: 5000)
            let rows = Browser.tableRows("results-0", in: results)
            let out = scratch.path("report")
            let report = try runToEnd(Bin.coordinator, ["report", "--store", store, "--out", out], in: scratch, timeout: 120)
            try #require(report.status == 0, "report failed: \(report.stderr)")
            let md = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
            // The rows of the "## SNR 20 dB" section (the job-time table after it is not the results table).
            let section = md.components(separatedBy: "\n## SNR 20 dB\n").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
            let mdRows = section.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| model") }
                .map { $0.dropFirst(2).dropLast(2).components(separatedBy: " | ") }
            #expect(rows.count == 12, "rnn/urnn/lstm x 4 sizes")
            #expect(rows == mdRows, "page:\n\(rows)\nsummary.md:\n\(mdRows)")

            // The figures page draws the report's figure.
            let figures = try Browser.dom(base + "figures?live=0", in: scratch, budgetMs: 5000)
            #expect(figures.contains("id=\"figure-fig-snr20\"") && figures.contains("URNN at half its hidden units"))

            let png = scratch.path("overview.png")
            try Browser.screenshot(base + "?live=0", to: png, in: scratch)
            let head = try #require(FileManager.default.contents(atPath: png)).prefix(8)
            #expect(Array(head) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            if let keep = ProcessInfo.processInfo.environment["URNN_SCREENSHOT_DIR"] {
                try? FileManager.default.removeItem(atPath: keep + "/web-overview.png")
                try FileManager.default.copyItem(atPath: png, toPath: keep + "/web-overview.png")
                if let id = jobPageID {
                    // A job of this run with its lease history (the docs' web-job-leases.png).
                    try? FileManager.default.removeItem(atPath: keep + "/web-job-leases.png")
                    try Browser.screenshot(base + "jobs/" + id + "?live=0", to: keep + "/web-job-leases.png", in: scratch, size: "1280,900")
                }
            }

            coordinator.stop(grace: 15)
            #expect(coordinator.process.terminationReason == .exit)
            #expect(!coordinator.stderr.contains(" error "), "no errors logged\n\(coordinator.stderr.suffix(2000))")
        }
    }
}
