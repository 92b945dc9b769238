import CoordinatorWeb
import Foundation
import Testing
@testable import Coordinator

/// `--http`, tokens and the access policy: every bad input refused with a message naming it.
@Suite struct HTTPOptionTests {
    @Test func addressesParse() throws {
        #expect(try HTTPBind.parse("127.0.0.1:8080") == HTTPBind(host: "127.0.0.1", port: 8080))
        #expect(try HTTPBind.parse("localhost:0") == HTTPBind(host: "127.0.0.1", port: 0))
        #expect(try HTTPBind.parse("[::1]:9000") == HTTPBind(host: "::1", port: 9000))
        #expect(try HTTPBind.parse("0.0.0.0:80").isLoopback == false)
        #expect(try HTTPBind.parse("127.8.9.10:1").isLoopback)
    }

    @Test func badAddressesAreRefused() {
        for (text, says) in [("8080", "no :PORT"), ("127.0.0.1", "no :PORT"), (":8080", "no host"), ("127.0.0.1:", "port must be"),
                             ("127.0.0.1:65536", "port must be"), ("127.0.0.1:-1", "port must be"), ("127.0.0.1:80a", "port must be"),
                             ("example.org:80", "not an IPv4 address"), ("300.1.1.1:80", "not an IPv4"), ("::1:80", "in brackets"),
                             ("[::1:80", "closing ]"), ("[zz]:80", "not an IPv6"), ("", "empty"),
                             (String(repeating: "1", count: 200), "longer than")] {
            #expect(throws: WebConfigError.self, "\(text)") { try HTTPBind.parse(text) }
            do { _ = try HTTPBind.parse(text) } catch { #expect(error.description.contains(says), "\(text): \(error)") }
        }
    }

    @Test func nonLoopbackNeedsATokenOrInsecure() throws {
        let dir = StoreTests.TempDir()
        let public0 = try HTTPBind.parse("0.0.0.0:0")
        #expect(throws: WebConfigError.self) { try HTTPAccess.make(bind: public0, tokenFile: nil, insecure: false) }
        #expect(try HTTPAccess.make(bind: public0, tokenFile: nil, insecure: true).token == nil)
        let file = dir.path("token")
        try "  s3cret-token-0123456789\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try HTTPAccess.make(bind: public0, tokenFile: file, insecure: false).token == "s3cret-token-0123456789")
        #expect(try HTTPAccess.make(bind: HTTPBind(host: "127.0.0.1", port: 0), tokenFile: nil, insecure: false).token == nil)
    }

    @Test func badTokenFilesAreRefused() throws {
        let dir = StoreTests.TempDir()
        func write(_ name: String, _ text: String) throws -> String {
            let p = dir.path(name); try text.write(toFile: p, atomically: true, encoding: .utf8); return p
        }
        let cases = [(try write("short", "abc\n"), "16 to 512"), (try write("space", "with a space in it 0123456789"), "without spaces"),
                     (try write("big", String(repeating: "x", count: 5000)), "larger than 4096"), (dir.path("missing"), "cannot read"),
                     (dir.url.path, "not a regular file")]
        for (path, says) in cases {
            do { _ = try HTTPAccess.readToken(path); Issue.record("\(path) accepted") } catch {
                #expect(error.description.contains(says), "\(path): \(error)")
            }
        }
    }

    @Test func tokenComparison() {
        let a = HTTPAccess(token: "0123456789abcdef")
        #expect(a.accepts("0123456789abcdef"))
        #expect(!a.accepts("0123456789abcdeF") && !a.accepts("0123456789abcde") && !a.accepts("0123456789abcdef0") && !a.accepts(nil))
        #expect(HTTPAccess(token: nil).accepts(nil))
    }
}
