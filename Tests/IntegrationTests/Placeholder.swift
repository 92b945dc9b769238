import Testing
import Shared

@Suite struct IntegrationPlaceholder {
    @Test func noopRuns() throws {
        let o = try JobExecutor.run(JobSpec(noop: NoopSpec(token: 5)))
        #expect(o.metrics["token"] == 5)
    }
}
