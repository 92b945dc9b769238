import Foundation
import Testing
@testable import Shared
@testable import Worker

/// The worker over CURVE, against a coordinator with a ZAP whitelist.
@Suite struct WorkerCurveTests {
    @Test func whitelistedWorkerIsServedOverCurve() throws {
        let server = try CurveKeys.generate(), client = try CurveKeys.generate()
        let coord = try FakeCoordinator(curve: (server, [client.publicKey]))
        defer { coord.close() }
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1, curve: .init(serverKey: server.publicKey, keys: client))
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake()
        try coord.expect(.ready)
        try coord.send(.assign(FakeCoordinator.assign(3)), to: id)
        guard case .result(let r) = try coord.expect(.result).message else { return }
        #expect(r.outcome.metrics["token"] == 3)
    }

    @Test func workerWithAnUnknownKeyNeverGetsIn() throws {
        let server = try CurveKeys.generate(), client = try CurveKeys.generate(), other = try CurveKeys.generate()
        let coord = try FakeCoordinator(curve: (server, [other.publicKey]))
        defer { coord.close() }
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1, curve: .init(serverKey: server.publicKey, keys: client))
        w.start()
        defer { w.stop() }
        #expect(try coord.next(within: 700) == nil)   // past the 500 ms wait for WELCOME
        #expect(w.log.contains("no WELCOME"))
    }
}
