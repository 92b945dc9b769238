import Foundation

/// Why an `--http` address, token file or access combination is refused. Every message names
/// the option and what was expected.
public struct WebConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Where the web view listens: `HOST:PORT` with HOST an IPv4 address, `[IPv6]` or `localhost`.
///
/// Port 0 asks the kernel for a free port (tests; the log and `boundPort` say which). Host names
/// other than `localhost` are refused: whether a bind is loopback is decided on the address, and a
/// name could resolve to something else tomorrow.
public struct HTTPBind: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public static let ports = 0...65_535
    /// Longest text accepted for `--http`.
    public static let maxLength = 100

    public init(host: String, port: Int) { self.host = host; self.port = port }

    public static func parse(_ text: String) throws(WebConfigError) -> HTTPBind {
        func fail(_ why: String) -> WebConfigError {
            WebConfigError("--http \(text.count > maxLength ? String(text.prefix(maxLength)) + "..." : text): \(why); "
                           + "expected HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080")
        }
        guard text.count <= maxLength else { throw fail("longer than \(maxLength) characters") }
        guard !text.isEmpty else { throw fail("empty") }
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("an IPv6 address needs its closing ]") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("no :PORT after the IPv6 address") }
            portText = rest.dropFirst()
            var a = in6_addr()
            guard inet_pton(AF_INET6, String(host), &a) == 1 else { throw fail("\(host) is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("no :PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw fail("an IPv6 address goes in brackets") }
            if host.isEmpty { throw fail("no host") }
            if host != "localhost" {
                var a = in_addr()
                guard inet_pton(AF_INET, String(host), &a) == 1 else {
                    throw fail("\(host) is not an IPv4 address (host names other than localhost are not accepted)")
                }
            }
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber), portText.count <= 5,
              let port = Int(portText), ports.contains(port) else {
            throw fail("the port must be a number in 0...65535 (0: any free port)")
        }
        if host == "localhost" { host = "127.0.0.1" }
        return HTTPBind(host: String(host), port: port)
    }

    /// 127.0.0.0/8 and ::1.
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Who may do what over HTTP (docs/WEB.md, "Security").
///
/// - Without a token every reader is let in, and steering is refused: a loopback bind, or a
///   non-loopback one with `--http-insecure`.
/// - With a token (`--http-token-file`) every endpoint but the login page needs it, as
///   `Authorization: Bearer TOKEN` or the cookie `/login` sets; steering needs it always.
public struct HTTPAccess: Sendable, Equatable {
    public var token: String?

    public init(token: String?) { self.token = token }

    /// Bounds of a token: long enough not to be guessed, short enough for a header.
    public static let tokenLength = 16...512
    /// Largest token file read.
    public static let maxTokenFileBytes = 4096

    /// The policy for `bind`, checked before anything starts.
    public static func make(bind: HTTPBind, tokenFile: String?, insecure: Bool) throws(WebConfigError) -> HTTPAccess {
        let token = try tokenFile.map { (f) throws(WebConfigError) -> String in try readToken(f) }
        if token == nil, !bind.isLoopback, !insecure {
            throw WebConfigError("refusing to serve HTTP on \(bind) without a token: anyone who can reach it could read "
                                 + "the sweep. Give --http-token-file FILE (a bearer token), or say --http-insecure on a "
                                 + "trusted network (steering stays off without a token)")
        }
        return HTTPAccess(token: token)
    }

    /// Reads and checks a token file: one line of 16 to 512 printable ASCII characters without spaces.
    public static func readToken(_ path: String) throws(WebConfigError) -> String {
        func fail(_ why: String) -> WebConfigError { WebConfigError("--http-token-file \(path): \(why)") }
        var st = stat()
        guard stat(path, &st) == 0 else { throw fail("cannot read it (\(String(cString: strerror(errno))))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw fail("not a regular file") }
        guard Int(st.st_size) <= maxTokenFileBytes else { throw fail("larger than \(maxTokenFileBytes) bytes; a token file holds one line") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read it") }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("not UTF-8 text") }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard tokenLength.contains(token.count) else {
            throw fail("the token must be \(tokenLength.lowerBound) to \(tokenLength.upperBound) characters, found \(token.count) "
                       + "(e.g. `head -c 32 /dev/urandom | base64 > FILE`)")
        }
        guard token.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw fail("the token must be printable ASCII without spaces")
        }
        return token
    }

    /// Constant-time comparison of a presented token with ours.
    public func accepts(_ presented: Substring?) -> Bool {
        guard let token else { return true }
        guard let p = presented else { return false }
        let a = Array(token.utf8), b = Array(p.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<a.count { diff |= a[i] ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }
}
