import DSP
import Foundation
import LiveAudio
import StageKit

/// Audio from JACK input ports, at the server's rate and period.
public final class JackCapture: SourceStage {
    public static let channels = Parameter<Int>("channels", default: 1, range: 1...64, doc: "number of input ports")
    public static let names = Parameter<String>("names", default: "", doc: "port names, comma-separated; in_1, in_2, ... by default")
    public static let connect = Parameter<String>("connect", default: "",
                                                  doc: "connect to the output ports matching this regular expression, e.g. system:capture_")
    public static let maxDelay = Parameter<Double>("max-delay", default: 2, range: 0.01...60, unit: "s",
                                                   doc: "how far the graph may fall behind before the oldest audio is dropped (and counted)")

    public static let info = StageInfo(
        name: "jack-capture",
        summary: "Captures audio from JACK input ports (live graphs: `sergraph run`).",
        outputs: [PortSpec("out", .audio, doc: "the ports' audio, interleaved, at the server's rate; NaN or infinite "
                           + "samples become 0, with a warning when the first arrives and a count at the end")],
        parameters: [channels, names, connect, maxDelay])

    private let session: JackSession?
    private let names: [String]
    private let connect: String?
    private let maxDelay: Double
    private let stageName: String
    private let warnings: StageWarnings
    private var stream: CaptureStream?
    private var sampleRate = 1.0
    private var nonFinite = NonFiniteSamples()

    /// Makes the stage on the JACK session the run offers (`context.services`); without one
    /// (an offline run) it is refused when formats are agreed, before anything joins a server.
    public init(parameters: Parameters, context: StageContext) throws {
        session = context.services.service(JackSession.self)
        stageName = context.stageName
        warnings = context.warnings
        names = try portNames(parameters[Self.names], count: parameters[Self.channels], prefix: "in")
        connect = parameters[Self.connect].isEmpty ? nil : parameters[Self.connect]
        maxDelay = parameters[Self.maxDelay]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let session = try liveSession(session, stage: Self.info.name)
        let stream = try session.addCapture(names: names, connect: connect, maxDelay: maxDelay)
        self.stream = stream
        sampleRate = try session.open().sampleRate
        return [.audio(sampleRate: sampleRate, channels: names.count)]
    }

    public func produce(output: Output) throws -> Bool {
        guard let stream, let session else { return false }
        if !session.isActive { try session.activate() }
        switch stream.next(timeout: 0.1) {
        case .audio(let time, var samples):
            // Here on the graph's worker thread, never in the process callback.
            let before = nonFinite.count
            nonFinite.replace(in: &samples, channels: names.count, time: time)
            if before == 0, let first = nonFinite.first {
                warnings.warn("stage '\(stageName)': port \(names[first.channel]) delivered a NaN or infinite sample at "
                              + "\(String(format: "%.3f", Double(first.frame) / sampleRate)) s; such samples are replaced by 0 and counted")
            }
            try output.emit(Block(time: time, width: names.count, values: samples))
            return true
        case .nothingYet:
            if session.isStopping { return false }
            if session.serverGone {
                return session.options.reconnect ? try session.rejoin() : false
            }
            return true
        }
    }

    /// Counts the NaN and infinite samples replaced during the run, if there were any.
    public func finish(output: Output) throws {
        if let summary = nonFinite.summary(sampleRate: sampleRate) { warnings.warn("stage '\(stageName)': \(summary)") }
    }
}

/// The run's JACK session, or the refusal a stage of type `type` gets in a run that offers none.
func liveSession(_ session: JackSession?, stage type: String) throws -> JackSession {
    guard let session else {
        throw StageError.failed("\(type) joins a JACK server, which only a live run offers: run the graph with `sergraph run` "
                                + "(`sergraph process` and other offline commands never join JACK)")
    }
    return session
}

/// `count` port names: the comma-separated `list`, or prefix_1 ... prefix_count when it is empty.
func portNames(_ list: String, count: Int, prefix: String) throws -> [String] {
    guard !list.isEmpty else { return (1...count).map { "\(prefix)_\($0)" } }
    let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard names.count == count else {
        throw StageError.failed("`names` lists \(names.count) port(s) but there are \(count) channel(s)")
    }
    return names
}
