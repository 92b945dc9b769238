import Foundation
import Shared
import Testing
@testable import Coordinator

/// StoreLock in one process: flock locks belong to the open file, so a second open of the same
/// lock file conflicts even here, exactly as a second coordinator process would.
@Suite struct StoreLockTests {
    @Test func secondLockIsRefusedNamingTheHolderAndFreedWhenTheFirstGoes() throws {
        let dir = StoreTests.TempDir()
        let store = dir.path()
        var first: StoreLock? = try StoreLock(storePath: store)
        #expect(first?.path == store + ".lock")
        let text = try String(contentsOfFile: store + ".lock", encoding: .utf8)
        #expect(text.hasPrefix("pid \(getpid()) on "))

        do {
            _ = try StoreLock(storePath: store)
            Issue.record("a second lock on a held store was granted")
        } catch let held as StoreLock.Held {
            #expect(held.holder.hasPrefix("pid \(getpid()) on "))
            #expect(held.description.contains("is in use by another coordinator"))
            #expect(held.description.contains(store))
        }
        // Another store is independent.
        let other = try StoreLock(storePath: dir.path("other.sqlite"))
        _ = other
        first = nil  // closing the descriptor releases the lock
        _ = first
        let again = try StoreLock(storePath: store)
        _ = again
    }

    @Test func anUnopenableLockFileIsAClearError() {
        #expect(throws: StoreError.self) { _ = try StoreLock(storePath: "/nonexistent-dir-\(UUID())/x.sqlite") }
    }
}
