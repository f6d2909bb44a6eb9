import LiveAudio
import StageKit

/// Audio to JACK output ports, one per channel of its input.
public final class JackPlayback: Stage {
    public static let names = Parameter<String>("names", default: "", doc: "port names, comma-separated; out_1, out_2, ... by default")
    public static let connect = Parameter<String>("connect", default: "",
                                                  doc: "connect to the input ports matching this regular expression, e.g. system:playback_")
    public static let prefill = Parameter<Int>("prefill", default: 2, range: 1...64, unit: "periods",
                                               doc: "silence queued before the first samples; the graph's slack, and the added latency")

    public static let info = StageInfo(
        name: "jack-playback",
        summary: "Plays audio to JACK output ports (live graphs: `sergraph run`).",
        inputs: [PortSpec("in", .audio, doc: "audio at the server's rate; one port per channel")],
        parameters: [names, connect, prefill])

    private let session: JackSession?
    private let namesList: String
    private let connect: String?
    private let prefill: Int
    private var stream: PlaybackStream?

    /// Makes the stage on the JACK session the run offers (`context.services`); without one
    /// (an offline run) it is refused when formats are agreed, before anything joins a server.
    public init(parameters: Parameters, context: StageContext) throws {
        session = context.services.service(JackSession.self)
        namesList = parameters[Self.names]
        connect = parameters[Self.connect].isEmpty ? nil : parameters[Self.connect]
        prefill = parameters[Self.prefill]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let session = try liveSession(session, stage: Self.info.name)
        try inputs[0].require(sampleRate: try session.open().sampleRate, port: "in")
        let names = try portNames(namesList, count: inputs[0].channels, prefix: "out")
        stream = try session.addPlayback(names: names, connect: connect, prefillPeriods: prefill)
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let stream, let session else { return }
        if !session.isActive { try session.activate() }
        stream.write(block.values) { session.serverGone || session.isStopping }
    }
}
