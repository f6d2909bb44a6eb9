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
///
/// On a small shared machine the dummy driver's timer now and then wakes late, and JACK counts
/// an xrun for the whole server. The tests therefore assert what sergraph controls, whatever the
/// machine does: the process callback never allocates; sergraph is late in no more cycles than
/// JACK's own pass-through client (`ReferenceClient`) on the same server over the same run, plus
/// `lateSlack`; and the audio is exact between xruns, every other difference being one the
/// run counted (silence played on underrun, audio dropped to keep up).
extension JackTests {
@Suite struct LiveGraphTests {
    /// Late cycles sergraph may have beyond the reference's in one run: lateness from the
    /// virtual machine's scheduler falls on either client at random (about once in 10 s for
    /// `jack_thru` here at 64 frames with a CPU hog running).
    static let lateSlack = 2

    /// What a live run did.
    struct LiveRun {
        var statistics: RunStatistics
        var live: LiveStatistics
        /// The cycles the server's log attributes to each client over the run.
        var late: LateCycles
    }

    /// Runs `yaml` on `server` for `seconds`, in a worker thread, as `sergraph run` does, with the
    /// reference client beside it (fed from `referenceSource`, feeding `referenceSink`), and
    /// checks that sergraph was late no more often than the reference.
    func runLive(_ yaml: String, server: JackServer, seconds: Double, output: String = "/tmp", plugins: [String] = [],
                 warnings: StageWarnings = StageWarnings(), referenceSource: String? = nil, referenceSink: String? = nil) throws -> LiveRun {
        let session = JackSession(options: .init(clientName: "sergraph", server: server.name))
        defer { session.close() }
        var registry = StageRegistry(BuiltinStages.all() + [StageFactory(SlowStage.self, origin: "test")])
        for plugin in plugins { try registry.register(PluginLoader.load(plugin)) }
        let graph = try GraphValidator(registry: registry)
            .validate(GraphFileParser.parse(yaml: yaml, file: "live.yaml"))
        var services = StageServices()
        services.provide(session)
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: output, stem: "live"), warnings: warnings,
                                    services: services)
        try pipeline.prepare()
        let reference = try ReferenceClient(server: server, source: referenceSource, sink: referenceSink)
        defer { reference.stop() }
        try session.activate()
        let mark = server.logMark
        let deadline = Date().addingTimeInterval(seconds)
        let statistics = try pipeline.run { Date() >= deadline }
        let run = LiveRun(statistics: statistics, live: session.statistics, late: LateCycles(server: server, since: mark))
        #expect(run.late["sergraph"] <= run.late[ReferenceClient.name] + Self.lateSlack,
                "sergraph was late more often than JACK's own pass-through client: \(run.late)")
        print("live run: \(run.live.xruns) xruns; \(run.late); \(run.live.underrunFrames) frames of underrun, \(run.live.droppedFrames) dropped")
        return run
    }

    /// Capture → playback in a loop through a second client: every sample comes back unchanged,
    /// after a constant delay of (prefill + 1) periods (JACK adds one to break the loop), except
    /// where the run counted an underrun (a period of silence played, the delay grows by it) or
    /// at an xrun (at most two breaks each: a period repeated or lost); and the process callback
    /// never allocated.
    @Test(arguments: [(64, 8), (256, 2)])
    func passThroughIsExactBetweenXruns(period: Int, prefill: Int) throws {
        let server = try JackServer(period: period)
        sergraph_realtime_abort_on_allocation(ProcessInfo.processInfo.environment["SERGRAPH_ABORT_ON_REALTIME_ALLOCATION"] == nil ? 0 : 1)
        let tester = try SignalClient(server: server.name, signal: .ramp)
        defer { tester.close() }
        let allocationsBefore = sergraph_realtime_allocations()
        let run = try runLive("""
            chain:
              - jack-capture: {connect: "tester:out"}
              - jack-playback: {connect: "tester:in", prefill: \(prefill)}
            """, server: server, seconds: 2, referenceSource: "tester:out", referenceSink: "tester:reference")
        #expect(sergraph_realtime_allocations() == allocationsBefore, "the process callback allocated")
        let live = run.live
        #expect(live.callbacks > 0)

        let ramp = RampSegments(tester.recorded)
        #expect(ramp.corrupt.isEmpty, "samples changed on the way, at \(ramp.corrupt.prefix(8))")
        let first = try #require(ramp.segments.first, "nothing came back")
        #expect(ramp.exactSamples > Int(tester.sampleRate), "only \(ramp.exactSamples) samples came back in order")
        // Silence the playback added: before the first sample (the delay beyond the loop's), and
        // between segments where the ramp went on where it stopped.
        let loopDelay = (prefill + 1) * period
        let played = (first.delay - loopDelay) + ramp.breaks.filter { $0.jump == 0 }.reduce(0) { $0 + $1.silence }
        // Audio missing without silence is audio the capture dropped (and counted); anything
        // else, audio repeated or lost, happens only at an xrun.
        let dropped = ramp.breaks.filter { $0.jump > 0 && $0.silence == 0 }
        let disorderly = ramp.breaks.filter { !($0.jump == 0 || ($0.jump > 0 && $0.silence == 0 && live.droppedFrames > 0)) }
        let details = "xruns \(live.xruns), underrun \(live.underrunFrames), dropped \(live.droppedFrames); first delay \(first.delay); "
            + "breaks \(ramp.breaks.prefix(12).map { "at \($0.recordedAt): \($0.silence) silent, jump \($0.jump)" })"
        #expect(disorderly.count <= 2 * live.xruns, "\(details)")
        #expect(dropped.reduce(0) { $0 + $1.jump } <= live.droppedFrames + 2 * period * live.xruns, "\(details)")
        #expect(played >= -2 * period * live.xruns, "\(details)")
        #expect(played <= live.underrunFrames + 2 * period * live.xruns, "\(details)")
        if live.xruns == 0 && live.underrunFrames == 0 && live.droppedFrames == 0 {
            #expect(ramp.segments.count == 1 && first.delay == loopDelay, "\(details)")
        }
    }

    /// A sine of known level through capture → level → JSON lines: the levels match it, but for
    /// at most the two windows around each xrun.
    @Test func levelsOfALiveSignal() throws {
        let server = try JackServer()
        let tester = try SignalClient(server: server.name, signal: .sine(frequency: 1000, amplitude: 0.25))
        defer { tester.close() }
        let folder = try TemporaryFolder("live-level")
        let run = try runLive("""
            chain:
              - jack-capture: {connect: "tester:out"}
              - level: {window: 0.1}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 1.5, output: folder.path, referenceSource: "tester:out")
        #expect(run.statistics.blocks > 0)
        let events = try jsonLines(folder.file("live.jsonl"))
        let full = events.filter { ($0["duration"] as? Double) == 0.1 }.dropFirst()  // the first may start before the connection
        #expect(full.count >= 10)
        let off = full.filter { event in
            abs((event["rms_db"] as? Double ?? 0) - decibels(0.25 / 2.0.squareRoot())) >= 0.02
                || abs((event["peak_db"] as? Double ?? 0) - decibels(0.25)) >= 0.02
        }
        #expect(off.count <= 2 * run.live.xruns, "\(run.live.xruns) xruns; windows off: \(Array(off))")
        let times = events.compactMap { $0["time"] as? Double }
        if run.live.droppedFrames == 0 {
            #expect(zip(times, times.dropFirst()).allSatisfy { abs($1 - $0 - 0.1) < 1e-9 }, "windows are not contiguous")
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
        let run = try runLive("""
            chain:
              - jack-capture: {connect: "tester:out"}
              - level: {window: 0.1}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 1.5, output: folder.path, warnings: warnings, referenceSource: "tester:out")
        let lines = try String(contentsOfFile: folder.file("live.jsonl"), encoding: .utf8)
        #expect(!lines.contains("null"))
        // Full windows after the connection: a sine of peak 0.25, barely changed by 2 zeros in 4800.
        let full = try jsonLines(folder.file("live.jsonl")).filter { ($0["duration"] as? Double) == 0.1 }.dropFirst()
        #expect(full.count >= 10)
        let off = full.filter { abs(($0["rms_db"] as? Double ?? 0) - decibels(0.25 / 2.0.squareRoot())) >= 0.02 }
        #expect(off.count <= 2 * run.live.xruns, "\(run.live.xruns) xruns; windows off: \(Array(off))")
        let messages = warnings.messages
        try #require(messages.count == 2, "\(messages)")
        #expect(messages[0].hasPrefix("stage 'jack-capture': port in_1 delivered a NaN or infinite sample at "))
        #expect(messages[1].contains("samples were NaN or infinite (the first at "), "\(messages[1])")
        // Two every 0.1 s of the audio captured, give or take the ends, and a period repeated or lost at an xrun.
        let counted = try #require(Int(messages[1].split(separator: " ")[2]), "\(messages[1])")
        #expect(abs(Double(counted) - 20 * run.statistics.seconds) <= 2 + 2 * Double(run.live.xruns),
                "\(counted) in \(run.statistics.seconds) s")
    }

    /// A stage far slower than real time: the capture drops the oldest audio (and counts it)
    /// rather than falling ever further behind, JACK never waits for it, and stream time stays
    /// real time.
    @Test func slowGraphDropsOldestAudio() throws {
        let server = try JackServer()
        let folder = try TemporaryFolder("live-slow")
        let run = try runLive("""
            chain:
              - jack-capture: {max-delay: 0.05}
              - slow
              - level: {window: 0.01}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 2, output: folder.path)
        #expect(run.live.callbacks > 600)  // 2 s of 128-frame periods keep coming
        #expect(run.live.droppedFrames > 24000)  // the graph keeps up with half of real time
        #expect(run.statistics.blocks > 5)
        let times = try jsonLines(folder.file("live.jsonl")).compactMap { $0["time"] as? Double }
        #expect((times.last ?? 0) > 1.5, "stream time fell behind real time")
    }

    /// A plugin stage (the example DC blocker, through the C ABI) in a live graph.
    @Test func pluginStageRunsLive() throws {
        let server = try JackServer()
        let library = URL(fileURLWithPath: sergraphExecutable).deletingLastPathComponent().appendingPathComponent("libDCBlocker.so").path
        let tester = try SignalClient(server: server.name, signal: .sine(frequency: 1000, amplitude: 0.5))
        defer { tester.close() }
        let folder = try TemporaryFolder("live-plugin")
        let run = try runLive("""
            chain:
              - jack-capture: {connect: "tester:out"}
              - dc-blocker: {cutoff: 10}
              - level: {window: 0.1}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, server: server, seconds: 1, output: folder.path, plugins: [library], referenceSource: "tester:out")
        let levels = try jsonLines(folder.file("live.jsonl")).compactMap { $0["rms_db"] as? Double }
        #expect(levels.count >= 8)
        // After the first window: a 1 kHz sine of peak 0.5, nearly untouched by a 10 Hz high-pass.
        let off = levels.dropFirst(2).dropLast().filter { abs($0 - decibels(0.5 / 2.0.squareRoot())) >= 0.05 }
        #expect(off.count <= 2 * run.live.xruns, "\(run.live.xruns) xruns; \(levels)")
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
        // As the README quotes it.
        #expect(problem?.summary == "stage 'jack-playback' port 'in' (fed by 'resample'): needs 48000 Hz audio but receives "
                + "16000 Hz; put `resample: {rate: 48000}` before it")
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
