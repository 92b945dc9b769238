import Testing
@testable import Worker

@Suite struct WorkerLinkTests {
    @Test func commandNameIsRight() {
        #expect(WorkerCommand.configuration.commandName == "urnn-worker")
    }
}
