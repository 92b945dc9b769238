import Testing
@testable import Coordinator

@Suite struct CoordinatorLinkTests {
    @Test func commandNameIsRight() {
        #expect(CoordinatorCommand.configuration.commandName == "urnn-coordinator")
    }
}
