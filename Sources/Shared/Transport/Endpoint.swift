import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ endpoint as a user types it (`--bind`, `--connect`), checked before any socket sees
/// it: libzmq itself takes `tcp://127.0.0.1:99999` as port 34463, says "No such device" for
/// `localhost` and `[::1]` in a bind, and lets `garbage` through to a confusing later error.
///
/// Accepted: `tcp://HOST:PORT` with PORT in 1...65535 (or `*`, a free port, for a bind), HOST an
/// IPv4 address, a bracketed IPv6 address (`[::1]`), a name that resolves, or `*` (bind only);
/// `ipc://PATH` (PATH at most 107 bytes, the `sun_path` limit); `inproc://NAME`.
/// For a bind, a name is replaced by the address it resolves to (IPv4 first), because libzmq binds
/// only to addresses and interface names. `needsIPv6` says the socket must set `ZMQ_IPV6`.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// The endpoint to hand to libzmq.
    public let text: String
    /// The host as an address (`tcp` only; nil for `*` and other transports).
    public let address: String?
    /// An IPv6 address: the socket needs `ZMQ_IPV6`.
    public let needsIPv6: Bool

    public var description: String { text }

    /// Loopback: 127.0.0.0/8, ::1, or a local transport (`ipc`, `inproc`).
    public var isLoopback: Bool {
        if !text.hasPrefix("tcp://") { return true }
        guard let a = address else { return false }
        return a.hasPrefix("127.") || a == "::1"
    }

    public enum Role: Sendable { case bind, connect }

    /// Why a string is not an endpoint this program can use.
    public struct Invalid: Error, CustomStringConvertible, Sendable, Equatable {
        public let endpoint: String
        public let reason: String
        public var description: String { "\(endpoint) is not a usable endpoint: \(reason)" }
    }

    /// Parses and checks `string` for `role`; resolves a host name (a bind gets the address).
    public static func parse(_ string: String, for role: Role) throws(Invalid) -> Endpoint {
        func fail(_ reason: String) -> Invalid { Invalid(endpoint: string, reason: reason) }
        let form = "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"
        if string.hasPrefix("ipc://") {
            let path = string.dropFirst(6)
            guard !path.isEmpty else { throw fail("no path after ipc://") }
            guard path.utf8.count <= 107 else { throw fail("the ipc path is \(path.utf8.count) bytes; the limit is 107") }
            return Endpoint(text: string, address: nil, needsIPv6: false)
        }
        if string.hasPrefix("inproc://") {
            guard string.count > 9 else { throw fail("no name after inproc://") }
            return Endpoint(text: string, address: nil, needsIPv6: false)
        }
        guard string.hasPrefix("tcp://") else { throw fail("not an endpoint (\(form))") }
        let rest = string.dropFirst(6)
        let host: Substring, portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw fail("a bracketed IPv6 host must be followed by :PORT, e.g. tcp://[::1]:5555")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw fail("no :PORT (\(form))") }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            if host.contains(":") { throw fail("put an IPv6 address in brackets, e.g. tcp://[::1]:5555") }
        }
        guard !host.isEmpty else { throw fail("no host before :PORT") }
        if portText == "*" {
            guard role == .bind else { throw fail("a worker must connect to a port number, not *") }
        } else {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber) else {
                throw fail("port '\(portText)' is not a number")
            }
            guard portText.count <= 6, let port = Int(portText), (1...65535).contains(port) else {
                throw fail("port \(portText) is outside 1-65535" + (role == .bind ? " (* binds a free port)" : ""))
            }
        }
        if host == "*" {
            guard role == .bind else { throw fail("a worker must connect to a host, not *") }
            return Endpoint(text: string, address: nil, needsIPv6: false)
        }
        let h = String(host)
        if isAddress(h, family: AF_INET) { return Endpoint(text: string, address: h, needsIPv6: false) }
        if isAddress(h, family: AF_INET6) {
            guard rest.hasPrefix("[") else { throw fail("put an IPv6 address in brackets") }
            return Endpoint(text: string, address: h, needsIPv6: true)
        }
        guard let resolved = resolve(h) else { throw fail("cannot resolve host '\(h)'") }
        let v6 = resolved.contains(":")
        switch role {
        case .connect:
            // libzmq resolves the name again on every (re)connect; it only has to resolve now.
            return Endpoint(text: string, address: resolved, needsIPv6: v6)
        case .bind:
            let literal = v6 ? "[\(resolved)]" : resolved
            return Endpoint(text: "tcp://\(literal):\(portText)", address: resolved, needsIPv6: v6)
        }
    }

    private static func isAddress(_ s: String, family: Int32) -> Bool {
        var buf = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, s, &buf) == 1
    }

    /// The first address `name` resolves to, IPv4 preferred; nil if it does not resolve.
    private static func resolve(_ name: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var found: [String] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let a = p {
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(a.pointee.ai_addr, a.pointee.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                found.append(String(cString: host))
            }
            p = a.pointee.ai_next
        }
        return found.first { !$0.contains(":") } ?? found.first
    }
}
