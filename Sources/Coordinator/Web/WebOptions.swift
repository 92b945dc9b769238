import ArgumentParser
import CoordinatorWeb
import Foundation

/// `--http`, `--http-token-file`, `--http-insecure` of `run` and `serve` (docs/WEB.md),
/// checked before anything starts.
struct WebOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve the live web view, JSON API and /metrics on HOST:PORT (e.g. 127.0.0.1:8080; port 0 "
                               + "picks a free one). Non-loopback needs --http-token-file or --http-insecure.",
                               valueName: "host:port"))
    var http: String?

    @Option(help: "File holding the bearer token the web view asks for (16 to 512 printable characters); enables steering.")
    var httpTokenFile: String?

    @Flag(help: "Allow a non-loopback --http without a token (read-only: steering stays off).")
    var httpInsecure = false

    /// Checks what can be checked without knowing the command's default address; `run` also
    /// calls `resolved(default: nil)` in its own validate (flags without --http are refused there).
    func validate() throws {
        if http != nil { _ = try resolved(default: nil); return }
        if let f = httpTokenFile {
            let problem: String?
            do { _ = try HTTPAccess.readToken(f); problem = nil } catch { problem = error.description }
            if let problem { throw ValidationError(problem) }
        }
    }

    /// The bind and access policy, or nil without --http (and no default).
    func resolved(default fallback: String?) throws -> (bind: HTTPBind, access: HTTPAccess)? {
        guard let text = http ?? fallback else {
            if httpTokenFile != nil || httpInsecure {
                throw ValidationError("--http-token-file and --http-insecure go with --http HOST:PORT")
            }
            return nil
        }
        let bind: HTTPBind
        let access: HTTPAccess
        do {
            bind = try HTTPBind.parse(text)
            access = try HTTPAccess.make(bind: bind, tokenFile: httpTokenFile, insecure: httpInsecure)
        } catch {
            throw ValidationError(String(describing: error))
        }
        return (bind, access)
    }
}
