import ArgumentParser
import Foundation
import LiveAudio
import SERGraph
import StageKit

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a graph live: join a JACK server, print the ports, run until Ctrl-C (or --duration).",
        discussion: """
            The graph's jack-capture and jack-playback stages become the ports of one JACK client. The \
            server's rate and period are the graph's; a stage that needs another rate must follow a \
            resample stage. On Ctrl-C or SIGTERM the graph ends its stream, outputs are flushed and a \
            summary is printed: run time, blocks, xruns, dropped audio, callback time, event delay. \
            Everything sergraph says goes to standard error, so standard output carries only what \
            sinks write to "-" (e.g. `sergraph run g.yaml | jq`).
            """)

    @Argument(help: "Graph file (YAML) or one-line chain.")
    var graph: String

    @Option(help: "JACK client name.")
    var clientName = "sergraph"

    @Option(help: "JACK server to join (default: the default server).")
    var server: String?

    @Flag(inversion: .prefixedNo, help: "Connect ports as the graph's `connect:` parameters say.")
    var autoConnect = true

    @Flag(help: "If the server goes away, wait for it and join again instead of stopping.")
    var reconnect = false

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: .shortAndLong, help: "Folder for output files ({stem} is 'live').")
    var output = "."

    @Option(help: "Control socket for `sergraph ctl` (default: $XDG_RUNTIME_DIR/sergraph/SERVER.CLIENT.sock or /tmp/sergraph-UID/SERVER.CLIENT.sock).")
    var control: String?

    func run() throws {
        let session = JackSession(options: .init(clientName: clientName, server: server, autoConnect: autoConnect, reconnect: reconnect))
        session.report = { printError($0) }
        let pipeline: Pipeline
        do {
            let validated = try loadGraph(graph, registry: makeRegistry())
            if usesJack(validated) { _ = try session.open() }
            pipeline = try Pipeline(graph: validated, bindings: RunBindings(outputDirectory: output, stem: "live"),
                                    warnings: StageWarnings { printError("warning: \($0)") }, services: liveServices(session))
            try pipeline.prepare()
            try session.activate()
        } catch let error as JackError {
            printError("error: \(error)")
            throw ExitCode.failure
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        pipeline.wakeForControl = { session.wakeCaptures() }
        let controlPlane: ControlPlane
        do {
            let path = control ?? ControlSocket.defaultPath(server: server, client: clientName)
            controlPlane = try ControlPlane(pipeline: pipeline, path: path) {
                let live = session.statistics
                return ["xruns": live.xruns, "dropped_frames": live.droppedFrames, "underrun_frames": live.underrunFrames,
                        "queued_frames": session.captures.map(\.queuedFrames)]
            }
        } catch {
            session.close()
            printError("error: \(error)")
            throw ExitCode(2)
        }
        defer { controlPlane.close() }
        announce(session)
        printError("control: sergraph ctl status --control \(controlPlane.path)")

        let stop = StopSignals { session.requestStop() }
        let delays = DelayMeter(session: session)
        pipeline.sinkEventObserver = { block, format in delays.record(block, format: format) }
        let started = Date()
        let deadline = duration.map { started.addingTimeInterval($0) }
        let statistics: RunStatistics
        do {
            statistics = try pipeline.run { stop.requested || deadline.map { Date() >= $0 } == true }
        } catch {
            session.close()
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let live = session.statistics
        let timings = session.timings
        let serverLost = session.serverGone
        session.close()
        summarize(seconds: Date().timeIntervalSince(started), blocks: statistics.blocks, live: live,
                  timings: timings.summary(), delays: delays.summary())
        if serverLost {
            printError("error: the JACK server went away; outputs were flushed (use --reconnect to wait for it instead)")
            throw ExitCode.failure
        }
    }

    private func announce(_ session: JackSession) {
        guard let client = session.client else { return }
        let period = Double(client.periodFrames) / client.sampleRate * 1000
        printError("JACK client '\(client.name)' on server '\(server ?? "default")': \(client.sampleRate.formatted) Hz, "
                   + "\(client.periodFrames) frames per period (\(String(format: "%.2f", period)) ms)")
        for line in session.portReport() { printError("  " + line) }
        printError("running; Ctrl-C stops")
    }

    private func summarize(seconds: Double, blocks: Int, live: LiveStatistics, timings: CallbackTimings.Summary,
                           delays: DelayMeter.Summary?) {
        let period = live.sampleRate > 0 ? Double(live.periodFrames) / live.sampleRate * 1e6 : 0
        var lines = [
            String(format: "ran %.1f s: %d blocks, %d callbacks, %d xruns, %d frames dropped, %d frames of underrun",
                   seconds, blocks, live.callbacks, live.xruns, live.droppedFrames, live.underrunFrames),
        ]
        if timings.count > 0 {
            lines.append(String(format: "process callback: p50 %.0f µs, p99 %.0f µs, max %.0f µs of a %.0f µs period (p99 %.2f%%)",
                                timings.p50, timings.p99, timings.max, period, timings.p99 / period * 100))
        }
        if let delays {
            lines.append(String(format: "event delay after the audio that caused it: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d events)",
                                delays.p50, delays.p99, delays.max, delays.count))
        }
        lines.forEach { printError($0) }
    }
}

/// How long after the last sample of its window each event reached a sink, in milliseconds,
/// by the JACK server's clock.
private final class DelayMeter {
    private let session: JackSession
    private var delays: [Double] = []

    init(session: JackSession) { self.session = session }

    func record(_ block: Block, format: StreamFormat) {
        guard let client = session.client, let capture = session.captures.first else { return }
        let now = client.frameTime
        for event in block.events {
            let end = Double(event.time + event.duration) / format.sampleRate * client.sampleRate
            if let age = capture.age(of: Int64(end.rounded()), now: now) {
                delays.append(Double(age) / client.sampleRate * 1000)
            }
        }
    }

    struct Summary {
        var count: Int
        var p50: Double
        var p99: Double
        var max: Double
    }

    func summary() -> Summary? {
        guard !delays.isEmpty else { return nil }
        let sorted = delays.sorted()
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
        return Summary(count: sorted.count, p50: at(0.5), p99: at(0.99), max: sorted.last!)
    }
}
