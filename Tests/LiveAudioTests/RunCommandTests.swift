import Foundation
import Testing
import TestSupport

/// `sergraph run` as a user runs it, against real jackd servers.
extension JackTests {
@Suite struct RunCommandTests {
    let graph = packageRoot + "/graphs/live-level.yaml"

    /// Starts `sergraph run` and returns once it prints `ready` (default: once it runs).
    func start(_ arguments: [String], output: String, ready: String = "running; Ctrl-C stops") throws -> RunningCommand {
        let command = try RunningCommand(sergraphExecutable, ["run"] + arguments + ["-o", output])
        command.wait(for: ready)
        return command
    }

    @Test func failsClearlyWithoutAServer() throws {
        let result = try runCommand(sergraphExecutable, ["run", graph, "--server", "sergraph-test-nobody-home"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no JACK server named 'sergraph-test-nobody-home' is running"))
        #expect(result.stderr.contains("jackd -n sergraph-test-nobody-home -d dummy"))
        #expect(!result.stderr.contains("Cannot connect"), "libjack's own messages leak: \(result.stderr)")
    }

    /// Ctrl-C ends the run: ports shown at start and gone at the end, outputs flushed, a summary.
    @Test func interruptShutsDownCleanly() throws {
        let server = try JackServer()
        let folder = try TemporaryFolder("run-sigint")
        let run = try start([graph, "--server", server.name, "--client-name", "meter"], output: folder.path, ready: "\"event\":\"level\"")
        #expect(try server.portNames().contains("meter:in_1"))
        let (status, stdout, stderr) = run.interrupt()
        #expect(status == 0, "stderr: \(stderr)")
        #expect(stderr.contains("JACK client 'meter' on server '\(server.name)': 48000 Hz, 128 frames per period"))
        #expect(stderr.contains("meter:in_1 ← system:capture_1"))
        #expect(stderr.contains(" xruns, 0 frames dropped"))  // xruns are the machine's: see LiveGraphTests
        #expect(stderr.contains("process callback: p50"))
        // Standard output is the graph's own: JSON lines from its jsonl-sink to "-", one per line.
        let lines = stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "\(stdout)")
        #expect(!(try server.portNames().contains { $0.hasPrefix("meter:") }))
        let saved = try String(contentsOfFile: folder.file("live.levels.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(saved.count >= 2)
        #expect(!FileManager.default.fileExists(atPath: folder.file("live.levels.jsonl.partial")))
    }

    /// The server dies mid-run: a clear message, outputs flushed, a failing exit status.
    @Test func serverLossFlushesOutputs() throws {
        let server = try JackServer()
        let folder = try TemporaryFolder("run-loss")
        let run = try start([graph, "--server", server.name], output: folder.path, ready: "\"event\":\"level\"")
        server.stop(hard: true)
        let (status, _, stderr) = run.finish()
        #expect(status == 1)
        #expect(stderr.contains("the JACK server went away; outputs were flushed"))
        let lines = try String(contentsOfFile: folder.file("live.levels.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty)
    }

    /// With --reconnect, a run outlives its server: it waits, joins the new one, and goes on.
    @Test func reconnectsToARestartedServer() throws {
        let server = try JackServer()
        let folder = try TemporaryFolder("run-reconnect")
        let run = try start([graph, "--server", server.name, "--reconnect"], output: folder.path, ready: "\"event\":\"level\"")
        server.stop()
        usleep(300_000)
        let second = try server.restarted()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? second.portNames()) ?? []).contains("sergraph:in_1") { usleep(50_000) }
        #expect(try second.portNames().contains("sergraph:in_1"))
        usleep(600_000)
        let (status, _, stderr) = run.interrupt()
        #expect(status == 0, "stderr: \(stderr)")
        #expect(stderr.contains("went away; waiting for it to come back"))
        #expect(stderr.contains("rejoined JACK as 'sergraph'"))
        let times = try jsonLines(folder.file("live.levels.jsonl")).compactMap { $0["time"] as? Double }
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 > $0 }, "stream time must keep increasing across the gap")
        // The server was away for at least 0.3 s: stream time skips it, and windows restart after it.
        #expect(zip(times, times.dropFirst()).contains { $1 - $0 >= 0.3 }, "no gap in \(times)")
    }
}
}
