import Foundation
import Testing
@testable import Shared

/// `Endpoint.parse`: what a user may type for --bind and --connect, checked before libzmq sees it.
@Suite struct EndpointTests {
    @Test(arguments: [
        ("tcp://127.0.0.1:99999", "outside 1-65535"), ("tcp://127.0.0.1:65536", "outside 1-65535"),
        ("tcp://127.0.0.1:0", "outside 1-65535"), ("tcp://127.0.0.1:-1", "not a number"),
        ("tcp://127.0.0.1:abc", "not a number"), ("tcp://127.0.0.1:", "not a number"), ("tcp://127.0.0.1", "no :PORT"),
        ("garbage", "not an endpoint"), ("udp://127.0.0.1:5", "not an endpoint"), ("tcp://:5555", "no host"),
        ("tcp://::1:5555", "brackets"), ("tcp://[::1]5555", "bracketed"), ("ipc://", "no path"), ("inproc://", "no name"),
        ("ipc:///" + String(repeating: "x", count: 120), "limit is 107"),
        ("tcp://no-such-host.invalid:5555", "cannot resolve"),
    ])
    func refusedWithTheReason(_ text: String, _ reason: String) {
        for role in [Endpoint.Role.bind, .connect] {
            do {
                let e = try Endpoint.parse(text, for: role)
                Issue.record("\(text) accepted as \(e)")
            } catch {
                #expect(error.description.contains(reason), "\(text): \(error)")
                #expect(error.description.hasPrefix(text), "\(error)")
            }
        }
    }

    @Test func wildcardsOnlyForABind() throws {
        #expect(try Endpoint.parse("tcp://*:*", for: .bind).text == "tcp://*:*")
        #expect(throws: Endpoint.Invalid.self) { try Endpoint.parse("tcp://127.0.0.1:*", for: .connect) }
        #expect(throws: Endpoint.Invalid.self) { try Endpoint.parse("tcp://*:5555", for: .connect) }
    }

    @Test func namesResolveAndIPv6NeedsTheOption() throws {
        let local = try Endpoint.parse("tcp://localhost:5555", for: .bind)
        #expect(local.text == "tcp://127.0.0.1:5555" && local.isLoopback && !local.needsIPv6)
        #expect(try Endpoint.parse("tcp://localhost:5555", for: .connect).text == "tcp://localhost:5555")
        let v6 = try Endpoint.parse("tcp://[::1]:5555", for: .bind)
        #expect(v6.needsIPv6 && v6.isLoopback && v6.text == "tcp://[::1]:5555")
        #expect(try Endpoint.parse("tcp://10.1.2.3:1", for: .connect).address == "10.1.2.3")
    }

    /// With `ZMQ_IPV6` a bind to [::1] and a connect to it work (libzmq alone says "No such device").
    @Test func anIPv6LoopbackBindAndConnectWork() throws {
        let ctx = try ZMQContext()
        let router = try ctx.socket(.router)
        defer { router.close() }
        let e = try Endpoint.parse("tcp://[::1]:*", for: .bind)
        try router.set([.ipv6(e.needsIPv6), .linger(milliseconds: 0)])
        try router.bind(e.text)
        let bound = try router.lastEndpoint
        let dealer = try ctx.socket(.dealer)
        defer { dealer.close() }
        let c = try Endpoint.parse(bound, for: .connect)
        try dealer.set([.ipv6(c.needsIPv6), .linger(milliseconds: 0), .routingID(Data("d".utf8))])
        try dealer.connect(c.text)
        try dealer.send([Data("hi".utf8)])
        #expect(try zmqPoll([.socket(router, .readable)], timeoutMs: 3000)[0].contains(.readable))
        #expect(try router.receive(dontWait: true) == [Data("d".utf8), Data("hi".utf8)])
    }
}
