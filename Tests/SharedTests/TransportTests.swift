import CZmq
import Foundation
import Testing
@testable import Shared

/// Endpoints unique to one test: a free TCP port, or a fresh ipc path / inproc name.
enum TestEndpoints {
    static func ipc() -> String {
        "ipc:///tmp/urnn-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).sock"
    }
    static func inproc() -> String { "inproc://test-\(UInt64.random(in: 0...UInt64.max))" }
}

@Suite struct TransportTests {
    /// A ROUTER bound to a free loopback port, and its resolved endpoint.
    func boundRouter(_ ctx: ZMQContext, _ endpoint: String = "tcp://127.0.0.1:*") throws -> (ZMQSocket, String) {
        let router = try ctx.socket(.router)
        try router.set([.linger(milliseconds: 0), .routerMandatory(true)])
        try router.bind(endpoint)
        return (router, try router.lastEndpoint)
    }

    func dealer(_ ctx: ZMQContext, id: String, to endpoint: String) throws -> ZMQSocket {
        let d = try ctx.socket(.dealer)
        try d.set([.linger(milliseconds: 0), .routingID(Data(id.utf8))])
        try d.connect(endpoint)
        return d
    }

    func receive(_ s: ZMQSocket, within ms: Int = 2000) throws -> [Data]? {
        let ready = try zmqPoll([.socket(s, .readable)], timeoutMs: ms)
        return ready[0].contains(.readable) ? try s.receive(dontWait: true) : nil
    }

    @Test(arguments: ["tcp", "ipc", "inproc"])
    func routerDealerMultipartBothWays(_ transport: String) throws {
        let ctx = try ZMQContext()
        let endpoint = transport == "tcp" ? "tcp://127.0.0.1:*" : transport == "ipc" ? TestEndpoints.ipc() : TestEndpoints.inproc()
        let (router, bound) = try boundRouter(ctx, endpoint)
        #expect(bound.hasPrefix(transport + "://"))
        let d = try dealer(ctx, id: "w1", to: bound)
        let frames = [Data("a".utf8), Data(), Data(repeating: 7, count: 100_000)]
        #expect(try d.send(frames))
        let got = try #require(try receive(router))
        #expect(got == [Data("w1".utf8)] + frames)
        try router.send([Data("w1".utf8), Data("back".utf8), Data()])
        #expect(try receive(d) == [Data("back".utf8), Data()])
    }

    @Test func protocolMessagesTravelIntact() throws {
        let ctx = try ZMQContext()
        let (router, bound) = try boundRouter(ctx)
        let d = try dealer(ctx, id: "w2", to: bound)
        for m in ProtocolSamples.all { try d.send(m.encode()) }
        for m in ProtocolSamples.all {
            let (id, back) = try Message.decodeRouted(try #require(try receive(router)))
            #expect(id == Data("w2".utf8))
            #expect(back == m)
        }
    }

    @Test func pollTimesOutAndReceiveDoesNotBlock() throws {
        let ctx = try ZMQContext()
        let (router, _) = try boundRouter(ctx)
        let t0 = MonotonicTime.seconds()
        let ready = try zmqPoll([.socket(router, .readable)], timeoutMs: 60)
        let dt = MonotonicTime.seconds() - t0
        #expect(ready == [[]])
        #expect(dt >= 0.05 && dt < 1.0)
        #expect(try router.receive(dontWait: true) == nil)
    }

    @Test func pollOverSeveralSocketsAndAWakePipe() throws {
        let ctx = try ZMQContext()
        let (r1, e1) = try boundRouter(ctx)
        let (r2, e2) = try boundRouter(ctx)
        let d2 = try dealer(ctx, id: "x", to: e2)
        _ = try dealer(ctx, id: "y", to: e1)
        let wake = try WakePipe()
        try d2.send([Data("hi".utf8)])
        var ready = try zmqPoll([.socket(r1, .readable), .socket(r2, .readable), .fileDescriptor(wake.fileDescriptor, .readable)], timeoutMs: 2000)
        #expect(ready[0].isEmpty && ready[1].contains(.readable) && ready[2].isEmpty)
        _ = try r2.receive()
        // A wake from another thread ends a poll that would otherwise wait forever.
        let t = Thread { usleep(20_000); wake.wake() }
        t.start()
        ready = try zmqPoll([.socket(r1, .readable), .fileDescriptor(wake.fileDescriptor, .readable)], timeoutMs: 5000)
        #expect(ready[1].contains(.readable))
        wake.drain()
        ready = try zmqPoll([.fileDescriptor(wake.fileDescriptor, .readable)], timeoutMs: 0)
        #expect(ready == [[]])
    }

    @Test func routerMandatoryReportsUnroutablePeers() throws {
        let ctx = try ZMQContext()
        let (router, _) = try boundRouter(ctx)
        let e = #expect(throws: ZMQError.self) { try router.send([Data("nobody".utf8), Data("x".utf8)]) }
        #expect(e?.isUnroutable == true)
        #expect(e?.errno == EHOSTUNREACH)
        #expect(e?.description.contains("send") == true)
    }

    @Test func maxMessageSizeDropsTheOversizePeer() throws {
        let ctx = try ZMQContext()
        let router = try ctx.socket(.router)
        try router.set([.linger(milliseconds: 0), .maxMessageSize(bytes: 1000)])
        try router.bind("tcp://127.0.0.1:*")
        let d = try dealer(ctx, id: "big", to: try router.lastEndpoint)
        try d.send([Data(repeating: 1, count: 5000)])
        try d.send([Data("small".utf8)])   // same connection: dropped with it
        #expect(try receive(router, within: 300) == nil)
        // A well-behaved peer is still served.
        let ok = try dealer(ctx, id: "ok", to: try router.lastEndpoint)
        try ok.send([Data(repeating: 1, count: 900)])
        #expect(try receive(router)?.first == Data("ok".utf8))
    }

    @Test func immediateDealerWithoutPeerWouldBlock() throws {
        let ctx = try ZMQContext()
        let d = try ctx.socket(.dealer)
        try d.set([.linger(milliseconds: 0), .immediate(true)])
        try d.connect("tcp://127.0.0.1:1")   // nothing listens there
        #expect(try d.send([Data("x".utf8)], dontWait: true) == false)
    }

    @Test func optionsReadBackAndClosedSocketsThrow() throws {
        let ctx = try ZMQContext()
        let s = try ctx.socket(.dealer)
        try s.set([.linger(milliseconds: 250), .routingID(Data("me".utf8)), .sendHighWaterMark(10)])
        #expect(try s.intOption(ZMQ_LINGER) == 250)
        #expect(try s.intOption(ZMQ_SNDHWM) == 10)
        #expect(try s.routingID == Data("me".utf8))
        s.close()
        s.close()
        let e = #expect(throws: ZMQError.self) { try s.send([Data()]) }
        #expect(e?.errno == ENOTSOCK)
        let bad = #expect(throws: ZMQError.self) { try ctx.socket(.router).bind("tcp://no-such-host-xyz.invalid:1") }
        #expect(bad?.operation.contains("bind") == true)
    }

    @Test func versionAndCapabilities() {
        #expect(zmqVersion().major == 4)
        #expect(zmqHas("curve"))
    }
}
