import ArgumentParser
import Foundation
import Shared

/// `urnn-worker exec --spec FILE` runs any job exactly as a coordinator would send it
/// (a JobSpec as JSON, e.g. from `urnn-coordinator export`) and prints its outcome as JSON.
/// Used to check that a stored result is what the spec gives, on any machine.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run one job from its JSON spec and print the outcome as JSON.")

    @Option(help: "File holding the JobSpec JSON, or - for standard input.")
    var spec: String

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    @Option(help: "Directory for the checkpoints of a pmnist job: resume from it if the job was interrupted (default: none).")
    var checkpointDir: String?

    func validate() throws {
        if let d = checkpointDir { try CheckpointOption.validate(d) }
    }

    func run() throws {
        let data: Data
        if spec == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: spec) else { throw ValidationError("cannot read \(spec)") }
            data = d
        }
        let job: JobSpec
        do { job = try JSON.decode(JobSpec.self, from: data) } catch {
            throw ValidationError("\(spec) is not a valid job spec: \(error)")
        }
        // The same check as a sweep file's and an ASSIGN's; the field is named by its JSON key.
        do { try job.validate() } catch { throw ValidationError("\(error)") }
        let quiet = self.quiet
        let outcome = try JobExecutor.run(job, context: JobContext(checkpointDirectory: checkpointDir)) { line in
            if !quiet { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        }
        print(try JSON.string(outcome))
    }
}
