import AllocationCounter
import CJack
import Foundation
import LiveAudio
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Live graphs against a real jackd (dummy driver), in this process so that the real-time
/// callback runs under the allocation counter.
extension JackTests {
@Suite struct LiveGraphTests {
    /// Runs `yaml` on `server` for `seconds`, in a worker thread, as `sergraph run` does.
    func runLive(_ yaml: String, server: JackServer, seconds: Double, output: String = "/tmp", plugins: [String] = [],
                 warnings: StageWarnings = StageWarnings(),
                 whileRunning: (JackSession) throws -> Void = { _ in }) throws -> (RunStatistics, LiveStatistics) {
        let session = JackSession(options: .init(clientName: "sergraph", server: server.name))
        defer { session.close() }
        var registry = StageRegistry(BuiltinStages.all(jack: session) + [StageFactory(SlowStage.self, origin: "test")])
        for plugin in plugins { try registry.register(PluginLoader.load(plugin)) }
        let graph = try GraphValidator(registry: registry)
            .validate(GraphFileParser.parse(yaml: yaml, file: "live.yaml"))
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: output, stem: "live"), warnings: warnings)
        try pipeline.prepare()
        try session.activate()
        try whileRunning(session)
        let deadline = Date().addingTimeInterval(seconds)
        let statistics = try pipeline.run { Date() >= deadline }
        return (statistics, session.statistics)
    }

    /// Runs `attempt` until one has no xrun, at most three times, and fails if none is clean.
    /// The dummy driver's timer, on a small shared machine, now and then wakes a few
    /// microseconds late, and JACK counts that as an xrun of the whole graph (its log says
    /// "JackTimedDriver::Process XRun = 14 usec"); an attempt checks its data only when clean.
    /// - Parameter attempt: runs the scenario and returns the xruns the server reported.
    func untilClean(_ attempt: () throws -> Int) rethrows {
        var xruns: [Int] = []
        for _ in 0..<3 {
            xruns.append(try attempt())
            if xruns.last == 0 { return }
        }
        Issue.record("every attempt had xruns: \(xruns)")
    }

    /// Capture → playback in a loop through a second client: every sample comes back, unchanged,
    /// after a constant delay of (prefill + 1) periods (JACK adds one to break the loop); no
    /// xrun, no underrun; and the process callback never allocated.
    @Test(arguments: [(64, 8), (256, 2)])
    func passThroughIsSampleExact(period: Int, prefill: Int) throws {
        let server = try JackServer(period: period)
        sergraph_realtime_abort_on_allocation(ProcessInfo.processInfo.environment["SERGRAPH_ABORT_ON_REALTIME_ALLOCATION"] == nil ? 0 : 1)
        try untilClean {
            let tester = try SignalClient(server: server.name, signal: .ramp)
            defer { tester.close() }
            let allocationsBefore = sergraph_realtime_allocations()
            let (_, live) = try runLive("""
                chain:
                  - jack-capture: {connect: "tester:out"}
                  - jack-playback: {connect: "tester:in", prefill: \(prefill)}
                """, server: server, seconds: 2)
            #expect(sergraph_realtime_allocations() == allocationsBefore, "the process callback allocated")
            #expect(live.callbacks > 0)
            guard live.xruns == 0 else { return live.xruns }
            #expect(live.droppedFrames == 0)

            let recorded = tester.recorded
            let first = try #require(recorded.firstIndex { $0 != 0 }, "nothing came back")
            // The tester's frame index of what arrived first, read off the ramp, gives the delay.
            let sentAt = Int((recorded[first] * 1_048_576).rounded()) - 1
            let delay = first - sentAt
            #expect(delay == (prefill + 1) * period)
            let compared = recorded.count - first - (prefill + 2) * period  // the run ends with silence
            #expect(compared > Int(tester.sampleRate))
            var mismatches = 0
            for index in first..<(first + compared) where recorded[index] != tester.sample(at: index - delay) { mismatches += 1 }
            #expect(mismatches == 0)
            return 0
        }
    }

    /// A sine of known level through capture → level → JSON lines: the levels match it.
    @Test func levelsOfALiveSignal() throws {
        let server = try JackServer()
        try untilClean {
            let tester = try SignalClient(server: server.name, signal: .sine(frequency: 1000, amplitude: 0.25))
            defer { tester.close() }
            let folder = try TemporaryFolder("live-level")
            let (statistics, live) = try runLive("""
                chain:
                  - jack-capture: {connect: "tester:out"}
                  - level: {window: 0.1}
                  - jsonl-sink: {path: "{stem}.jsonl"}
                """, server: server, seconds: 1.5, output: folder.path)
            #expect(statistics.blocks > 0)
            guard live.xruns == 0 else { return live.xruns }
            let events = try jsonLines(folder.file("live.jsonl"))
            let full = events.filter { ($0["duration"] as? Double) == 0.1 }.dropFirst()  // the first may start before the connection
            #expect(full.count >= 10)
            for event in full {
                #expect(abs((event["rms_db"] as? Double ?? 0) - decibels(0.25 / 2.0.squareRoot())) < 0.02)
                #expect(abs((event["peak_db"] as? Double ?? 0) - decibels(0.25)) < 0.02)
            }
            let times = events.compactMap { $0["time"] as? Double }
            #expect(zip(times, times.dropFirst()).allSatisfy { abs($1 - $0 - 0.1) < 1e-9 }, "windows are not contiguous")
            return 0
        }
    }

    /// NaN and infinity from another client are replaced by 0 on the worker side: the levels stay
    /// finite numbers, a warning comes with the first and a count at the end.
    @Test func nonFiniteLiveSamplesAreReplacedAndCounted() throws {
        let server = try JackServer()
        let tester = try SignalClient(server: server.name, signal: .sineWithNonFinite(frequency: 1000, amplitude: 0.25, every: 4800))
        defer { tester.close() }
        let folder = try TemporaryFolder("live-non-finite")
        let warnings = StageWarnings()
        let (_, live) = try runLive("""
            chain:
              - jack-capture: {connect: "tester:out"}
              - level: {window: 0.1}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 1.5, output: folder.path, warnings: warnings)
        let lines = try String(contentsOfFile: folder.file("live.jsonl"), encoding: .utf8)
        #expect(!lines.contains("null"))
        // Full windows after the connection: a sine of peak 0.25, barely changed by 2 zeros in 4800.
        let full = try jsonLines(folder.file("live.jsonl")).filter { ($0["duration"] as? Double) == 0.1 }.dropFirst()
        #expect(full.count >= 10)
        for event in full where live.xruns == 0 {
            #expect(abs((event["rms_db"] as? Double ?? 0) - decibels(0.25 / 2.0.squareRoot())) < 0.02, "\(event)")
        }
        let messages = warnings.messages
        try #require(messages.count == 2, "\(messages)")
        #expect(messages[0].hasPrefix("stage 'jack-capture': port in_1 delivered a NaN or infinite sample at "))
        // Two per 0.1 s over the ~1.5 s captured after the connection.
        let counted = try #require(Int(messages[1].split(separator: " ")[2]), "\(messages[1])")
        #expect(counted >= 2 * 12 && counted <= 2 * 16, "\(messages[1])")
        #expect(messages[1].contains("samples were NaN or infinite (the first at "), "\(messages[1])")
    }

    /// A stage far slower than real time: the capture drops the oldest audio (and counts it)
    /// rather than falling ever further behind, JACK never waits for it, and stream time stays
    /// real time.
    @Test func slowGraphDropsOldestAudio() throws {
        let server = try JackServer()
        let folder = try TemporaryFolder("live-slow")
        let (statistics, live) = try runLive("""
            chain:
              - jack-capture: {max-delay: 0.05}
              - slow
              - level: {window: 0.01}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 2, output: folder.path)
        #expect(live.callbacks > 600)  // 2 s of 128-frame periods keep coming
        #expect(live.droppedFrames > 24000)  // the graph keeps up with half of real time
        #expect(statistics.blocks > 5)
        let times = try jsonLines(folder.file("live.jsonl")).compactMap { $0["time"] as? Double }
        #expect((times.last ?? 0) > 1.5, "stream time fell behind real time")
    }

    /// A plugin stage (the example DC blocker, through the C ABI) in a live graph.
    @Test func pluginStageRunsLive() throws {
        let server = try JackServer()
        let library = URL(fileURLWithPath: sergraphExecutable).deletingLastPathComponent().appendingPathComponent("libDCBlocker.so").path
        try untilClean {
            let tester = try SignalClient(server: server.name, signal: .sine(frequency: 1000, amplitude: 0.5))
            defer { tester.close() }
            let folder = try TemporaryFolder("live-plugin")
            let (_, live) = try runLive("""
                chain:
                  - jack-capture: {connect: "tester:out"}
                  - dc-blocker: {cutoff: 10}
                  - level: {window: 0.1}
                  - jsonl-sink: {path: "{stem}.jsonl"}
                """, server: server, seconds: 1, output: folder.path, plugins: [library])
            guard live.xruns == 0 else { return live.xruns }
            let levels = try jsonLines(folder.file("live.jsonl")).compactMap { $0["rms_db"] as? Double }
            #expect(levels.count >= 8)
            // After the first window: a 1 kHz sine of peak 0.5, nearly untouched by a 10 Hz high-pass.
            #expect(levels.dropFirst(2).dropLast().allSatisfy { abs($0 - decibels(0.5 / 2.0.squareRoot())) < 0.05 }, "\(levels)")
            return 0
        }
    }

    /// A graph whose playback gets another rate than the server's is refused before it runs.
    @Test func playbackAtTheWrongRateIsRefused() throws {
        let server = try JackServer()
        let error = #expect(throws: GraphError.self) {
            try runLive("""
                chain:
                  - jack-capture
                  - resample: {rate: 16000}
                  - jack-playback
                """, server: server, seconds: 0.1)
        }
        let problem = error?.diagnostics.first
        #expect(problem?.stage == "jack-playback")
        #expect(problem?.port == "in")
        #expect(problem?.message.contains("needs 48000 Hz audio but receives 16000 Hz") == true)
    }
}
}

/// A stage that takes twice as long as the audio it is given lasts (at 48 kHz).
final class SlowStage: Stage {
    static let info = StageInfo(name: "slow", summary: "Passes audio on, slowly.",
                                inputs: [PortSpec("in", .audio, doc: "audio")], outputs: [PortSpec("out", .audio, doc: "the same")])
    init(parameters: Parameters, context: StageContext) throws {}
    func process(_ block: Block, port: Int, output: Output) throws {
        usleep(useconds_t(Double(block.rows) / 48000 * 2_000_000))
        try output.emit(block)
    }
}
