import AudioFiles
import StageKit

/// Writes audio to a file through libsndfile; the container follows the file's extension.
public final class AudioFileSink: Stage {
    public static let path = Parameter<String>("path", path: .output, default: "{stem}.wav",
                                               doc: "file to write; its extension picks the container")
    public static let encoding = Parameter<SampleEncoding>(
        "encoding", default: .auto,
        doc: "auto (float for WAV/AIFF/CAF, 24-bit for FLAC, Vorbis for Ogg), pcm16, pcm24, pcm32 or float")

    public static let info = StageInfo(
        name: "audio-file-sink",
        summary: "Writes audio to a file (WAV, FLAC, Ogg, AIFF, ...) through libsndfile.",
        inputs: [PortSpec("in", .audio, doc: "audio")],
        parameters: [path, encoding])

    private let path: String
    private let encoding: SampleEncoding
    private let outputs: OutputFiles
    private var writer: AudioFileWriter?

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters[Self.path]
        encoding = parameters[Self.encoding]
        outputs = context.outputs
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let container = String(path.split(separator: ".").last ?? "")
        let temporary = try outputs.temporaryPath(for: path)
        writer = try naming(output: path) {
            try AudioFileWriter(path: temporary, sampleRate: inputs[0].sampleRate, channels: inputs[0].channels,
                                encoding: encoding, container: container)
        }
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        try naming(output: path) { try writer?.write(block.values) }
    }

    public func finish(output: Output) throws {
        try naming(output: path) { try writer?.close() }
        writer = nil
    }

    /// Lets go of the file (closed when released) if `finish` did not run.
    public func close() {
        writer = nil
    }
}
