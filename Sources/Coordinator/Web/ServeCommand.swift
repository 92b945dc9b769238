import ArgumentParser
import CoordinatorWeb
import Foundation
import Shared

/// `urnn-coordinator serve --store X [--http 127.0.0.1:8080]`: the web view of a store without
/// running anything. Read-only and lock-free, so it works beside a running coordinator (whose
/// progress it follows through the store) and on a finished sweep.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web view, JSON API and /metrics of a store (read-only; beside a running coordinator or after it).")

    @Option(help: "The SQLite results store.")
    var store: String

    @OptionGroup var web: WebOptions

    @Option(parsing: .unconditional, help: "Seconds between looks at the store for changes (0.2 to 60).")
    var pollSeconds = 1.0

    static let defaultHTTP = "127.0.0.1:8080"
    static let pollBounds = 0.2...60.0

    func validate() throws {
        if let v = Bounds.violation(pollSeconds, in: Self.pollBounds, option: "--poll-seconds") { throw ValidationError(v) }
    }

    func run() throws {
        let logger = makeLogger("serve")
        guard let options = try web.resolved(default: Self.defaultHTTP) else { return }
        let feed = LiveFeed()
        let metrics = WebMetrics()
        let source: StoreWebSource
        do { source = try StoreWebSource(storePath: store, feed: feed) } catch { throw ValidationError("\(error)") }
        let app = WebApp(source: source, steering: StoreSteering(storePath: store), access: options.access, feed: feed, metrics: metrics)
        let server = try WebServer.startBlocking(app, bind: options.bind, logger: logger)
        defer { server.stop() }
        // The URL on stdout (flushed: a pipe is block-buffered) for people and scripts.
        FileHandle.standardOutput.write(Data("serving \(server.url) for \(store)\n".utf8))
        logger.info("web view of \(store): \(server.url)\(options.access.token == nil ? "" : " (token required)")")

        let stop = StopFlag()
        stop.install()
        var mark = ""
        while !stop.isSet {
            // A changed store means a coordinator committed a round: tell the event streams.
            if let m = try? source.store.changeMark(), m != mark {
                mark = m
                feed.bump()
            }
            let deadline = Date().addingTimeInterval(pollSeconds)
            while !stop.isSet, Date() < deadline { usleep(50_000) }
        }
        logger.info("stopping on signal")
    }
}
