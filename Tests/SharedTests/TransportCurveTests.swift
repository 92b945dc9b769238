import Foundation
import Testing
@testable import Shared

@Suite struct TransportCurveTests {
    @Test func keyPairsAreZ85AndConsistent() throws {
        let k = try CurveKeys.generate()
        #expect(k.publicKey.utf8.count == 40 && k.secretKey.utf8.count == 40)
        #expect(try CurveKeys.publicKey(forSecret: k.secretKey) == k.publicKey)
        #expect(try CurveKeys.generate() != k)
        #expect(throws: ZMQError.self) { try CurveKeys.publicKey(forSecret: "short") }
    }

    /// Server with a ZAP whitelist; returns whether a client with `clientKeys` got a reply.
    func exchange(serverKeys: CurveKeys, allowed: Set<String>, clientKeys: CurveKeys, serverKeyForClient: String) throws -> Bool {
        let ctx = try ZMQContext()
        let zap = try CurveAuthenticator(context: ctx, allowedPublicKeys: allowed)
        defer { zap.stop() }
        let router = try ctx.socket(.router)
        try router.set([.linger(milliseconds: 0), .curveServer(secretKey: serverKeys.secretKey)])
        try router.bind("tcp://127.0.0.1:*")
        let d = try ctx.socket(.dealer)
        try d.set([.linger(milliseconds: 0), .curveClient(serverKey: serverKeyForClient, publicKey: clientKeys.publicKey, secretKey: clientKeys.secretKey)])
        try d.connect(try router.lastEndpoint)
        try d.send([Data("ping".utf8)])
        let ready = try zmqPoll([.socket(router, .readable)], timeoutMs: 500)
        guard ready[0].contains(.readable), let got = try router.receive(dontWait: true) else { return false }
        #expect(got.last == Data("ping".utf8))
        return true
    }

    @Test func handshakeSucceedsWithAWhitelistedKey() throws {
        let server = try CurveKeys.generate(), client = try CurveKeys.generate()
        #expect(try exchange(serverKeys: server, allowed: [client.publicKey], clientKeys: client, serverKeyForClient: server.publicKey))
    }

    @Test func unknownClientKeyIsRefused() throws {
        let server = try CurveKeys.generate(), client = try CurveKeys.generate(), other = try CurveKeys.generate()
        #expect(try !exchange(serverKeys: server, allowed: [other.publicKey], clientKeys: client, serverKeyForClient: server.publicKey))
    }

    @Test func wrongServerKeyIsRefused() throws {
        let server = try CurveKeys.generate(), client = try CurveKeys.generate(), impostor = try CurveKeys.generate()
        #expect(try !exchange(serverKeys: server, allowed: [client.publicKey], clientKeys: client, serverKeyForClient: impostor.publicKey))
    }
}
