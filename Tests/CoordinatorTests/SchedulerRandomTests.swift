import Shared
import Testing
@testable import Coordinator

/// Random event sequences against the scheduler: lost assignments, crashes, silences,
/// duplicate and late results, failures. Invariants: no job is leased to two workers at
/// once, the scheduler's own cross-checks hold after every event, and when the dust
/// settles every job ended done or failed exactly once. A failure names its seed.
@Suite struct SchedulerRandomTests {
    /// A worker as the test plays it.
    struct SimWorker {
        var running: [(job: String, lease: String)] = []
        var unacked: [(job: String, lease: String)] = []
        var connected = true
        var silentUntil = 0.0
        var slots: Int
    }

    struct World {
        var scheduler: Scheduler
        var workers: [String: SimWorker] = [:]
        var holder: [String: String] = [:]  // job -> worker holding its live lease
        var committed: [String: Int] = [:]
        var failed: [String: Int] = [:]
        var cancelled: [String: Int] = [:]
        /// Pause, cancel and time limits are in play: CANCELs are expected.
        var steering = false
        /// Workers that stopped a job and will report their free slots.
        var creditsDue: [String] = []
        var sentResults: [(worker: String, job: String, lease: String)] = []
        var violations: [String] = []
        var dropAssignments = true

        mutating func apply(_ actions: [Scheduler.Action], rng: inout Xoshiro256) {
            for a in actions {
                switch a {
                case let .assign(job, worker, lease, _):
                    if let h = holder[job] { violations.append("\(job) assigned to \(worker) while leased to \(h)") }
                    holder[job] = worker
                    if committed[job] != nil || failed[job] != nil { violations.append("\(job) assigned after it ended") }
                    if dropAssignments && rng.uniform() < 0.05 { continue }  // lost on the way
                    workers[worker]?.running.append((job, lease))
                case let .commitResult(r, worker):
                    let job = r.jobID
                    committed[job, default: 0] += 1
                    holder[job] = nil
                    workers[worker]?.unacked.removeAll { $0.job == job }
                case let .ack(worker, job, _):
                    workers[worker]?.unacked.removeAll { $0.job == job }
                case let .requeue(job, _):
                    holder[job] = nil
                case let .markFailed(job, _):
                    failed[job, default: 0] += 1
                    holder[job] = nil
                case let .stopOnWorker(job, worker, _):
                    guard steering else { violations.append("\(job) stopped without a time limit or a cancel"); break }
                    if holder[job] == worker { holder[job] = nil }
                    // The worker stops it and, once it ended (after this round), says how many
                    // slots are free.
                    if var sim = workers[worker] {
                        sim.running.removeAll { $0.job == job }
                        workers[worker] = sim
                        if sim.connected { creditsDue.append(worker) }
                    }
                case let .markCancelled(job):
                    guard steering else { violations.append("\(job) cancelled without a cancel"); break }
                    cancelled[job, default: 0] += 1
                    holder[job] = nil
                case .workerDead, .sendHeartbeat, .reject:
                    break
                }
            }
            if violations.count < 20 { violations += scheduler.invariantViolations() }
            while let w = creditsDue.popLast(), let sim = workers[w] {
                apply(scheduler.credit(worker: w, free: sim.slots - sim.running.count, now: 0), rng: &rng)
            }
        }

        mutating func finish(_ w: String, at now: Double, fail: Bool, rng: inout Xoshiro256) {
            guard var sim = workers[w], !sim.running.isEmpty else { return }
            let (job, lease) = sim.running.remove(at: Int(rng.next() % UInt64(sim.running.count)))
            workers[w] = sim
            if fail {
                let retryable = rng.uniform() < 0.8
                apply(scheduler.failure(worker: w, jobID: job, leaseID: lease, message: "err", retryable: retryable, now: now), rng: &rng)
            } else {
                workers[w]!.unacked.append((job, lease))
                sentResults.append((w, job, lease))
                apply(scheduler.result(worker: w, jobID: job, leaseID: lease, now: now), rng: &rng)
            }
        }

        mutating func hello(_ w: String, now: Double, lostState: Bool, rng: inout Xoshiro256) {
            if lostState { workers[w]!.running = [] }
            workers[w]!.connected = true
            let running: [String]? = rng.uniform() < 0.5 ? workers[w]!.running.map(\.job) : nil
            apply(scheduler.hello(worker: w, slots: workers[w]!.slots, kinds: Scheduler.everyKind, running: running, now: now), rng: &rng)
            for r in workers[w]!.unacked {  // resend what was never acknowledged
                apply(scheduler.result(worker: w, jobID: r.job, leaseID: r.lease, now: now), rng: &rng)
            }
        }
    }

    static func run(seed: UInt64, steering: Bool = false) -> (violations: [String], finished: Bool) {
        var rng = Xoshiro256(seed: seed)
        let jobCount = 5 + Int(rng.next() % 40)
        let pending = (0..<jobCount).map { Scheduler.PendingJob(id: "j\($0)", kind: .noop) }
        let limit: Double? = steering && rng.uniform() < 0.7 ? 1 + rng.uniform() * 4 : nil
        var world = World(scheduler: Scheduler(configuration: .init(liveness: 3, maxAttempts: 3, sessionID: "r",
                                                                    jobTimeout: limit, timeoutRetries: Int(rng.next() % 3)),
                                               pending: pending, done: [String]()))
        world.steering = steering
        func someJobs() -> Set<String> {
            Set((0..<Int(rng.next() % 4)).map { _ in "j\(rng.next() % UInt64(jobCount))" })
        }
        let names = (0..<(1 + Int(rng.next() % 4))).map { "w\($0)" }
        var now = 0.0
        for w in names {
            world.workers[w] = SimWorker(slots: 1 + Int(rng.next() % 3))
            world.apply(world.scheduler.hello(worker: w, slots: world.workers[w]!.slots, kinds: Scheduler.everyKind, now: now), rng: &rng)
        }
        // Chaos phase.
        for _ in 0..<400 {
            now += rng.uniform() * 0.6
            let w = names[Int(rng.next() % UInt64(names.count))]
            let sim = world.workers[w]!
            let p = rng.uniform()
            if !sim.connected || now < sim.silentUntil {
                if !sim.connected && p < 0.3 || sim.connected && now >= sim.silentUntil - 0.1 && p < 0.5 {
                    world.hello(w, now: now, lostState: rng.uniform() < 0.3, rng: &rng)
                }
            } else if p < 0.35 {
                world.finish(w, at: now, fail: rng.uniform() < 0.15, rng: &rng)
            } else if p < 0.6 {
                let listed = rng.uniform() < 0.9 ? sim.running.map(\.job) : nil
                world.apply(world.scheduler.heartbeat(worker: w, running: listed, now: now), rng: &rng)
            } else if p < 0.63 {
                world.workers[w]!.silentUntil = now + 2 + rng.uniform() * 4  // may or may not be declared dead
            } else if p < 0.65 {
                world.apply(world.scheduler.disconnect(worker: w, handedBack: sim.running.map(\.job), now: now), rng: &rng)
                world.workers[w]!.running = []
                world.workers[w]!.connected = false
            } else if p < 0.67 {
                world.hello(w, now: now, lostState: true, rng: &rng)  // crashed and came back under the same id
            } else if p < 0.7, !world.sentResults.isEmpty {
                let r = world.sentResults[Int(rng.next() % UInt64(world.sentResults.count))]
                world.apply(world.scheduler.result(worker: r.worker, jobID: r.job, leaseID: r.lease, now: now), rng: &rng)
            } else if p < 0.72 {
                world.apply(world.scheduler.result(worker: w, jobID: "bogus", leaseID: "r-0", now: now), rng: &rng)
            } else if steering && p < 0.75 {
                world.apply(world.scheduler.setPaused(someJobs(), now: now), rng: &rng)
            } else if steering && p < 0.76 {
                world.apply(world.scheduler.cancel(someJobs(), now: now), rng: &rng)
            } else {
                world.apply(world.scheduler.tick(now: now), rng: &rng)
            }
        }
        // Calm phase: everyone comes back, nothing is lost, everyone works until the end.
        world.dropAssignments = false
        if steering { world.apply(world.scheduler.setPaused([], now: now), rng: &rng) }
        for w in names { world.hello(w, now: now, lostState: false, rng: &rng); world.workers[w]!.silentUntil = 0 }
        var steps = 0
        while !world.scheduler.progress.isFinished && steps < 2000 {
            steps += 1
            now += 0.25
            for w in names {
                world.apply(world.scheduler.heartbeat(worker: w, running: world.workers[w]!.running.map(\.job), now: now), rng: &rng)
                if world.scheduler.heartbeat(worker: w, running: nil, now: now).first != nil {  // forgotten: say hello
                    world.hello(w, now: now, lostState: false, rng: &rng)
                }
                world.finish(w, at: now, fail: false, rng: &rng)
            }
            world.apply(world.scheduler.tick(now: now), rng: &rng)
        }
        for p in pending {
            let c = world.committed[p.id] ?? 0, f = world.failed[p.id] ?? 0, x = world.cancelled[p.id] ?? 0
            if c + f + x != 1 { world.violations.append("\(p.id) committed \(c)x, failed \(f)x, cancelled \(x)x") }
        }
        let progress = world.scheduler.progress
        if progress.done + progress.failed + progress.cancelled != jobCount {
            world.violations.append("progress \(progress) for \(jobCount) jobs")
        }
        return (world.violations, world.scheduler.progress.isFinished)
    }

    @Test func randomEventSequencesKeepTheInvariants() {
        for seed in UInt64(1)...300 {
            let (violations, finished) = Self.run(seed: seed)
            #expect(finished, "seed \(seed): sweep did not finish")
            #expect(violations.count == 0, "seed \(seed): \(violations.prefix(5))")
            if !violations.isEmpty || !finished { break }
        }
    }

    /// The same chaos with pause rules changing, cancels and (most seeds) a job time limit:
    /// every job still ends exactly once, done, failed or cancelled.
    @Test func randomEventSequencesWithSteeringKeepTheInvariants() {
        for seed in UInt64(1)...300 {
            let (violations, finished) = Self.run(seed: seed, steering: true)
            #expect(finished, "seed \(seed): sweep did not finish")
            #expect(violations.count == 0, "seed \(seed): \(violations.prefix(5))")
            if !violations.isEmpty || !finished { break }
        }
    }
}
