import AudioFiles
import DSP
import StageKit

/// Reads an audio file through libsndfile, whole or one channel, or mixed down to mono.
public final class FileSource: SourceStage {
    public static let path = Parameter<String>("path", path: .input, default: "",
                                               doc: "file to read; `sergraph process` sets it for each input")
    public static let channel = Parameter<String>("channel", default: "mix",
                                                  doc: "mix (average to mono), all (keep every channel) or a channel number from 1")
    public static let block = Parameter<Int>("block", default: 4096, range: 16...1_048_576, unit: "frames", doc: "frames per block")

    public static let info = StageInfo(
        name: "file-source",
        summary: "Reads an audio file (WAV, FLAC, Ogg, AIFF, MP3, ...) through libsndfile.",
        outputs: [PortSpec("out", .audio, doc: "the file's audio, interleaved; files at 1 kHz to 768 kHz, others are refused; "
                           + "NaN or infinite samples become 0, with a warning that counts them")],
        parameters: [path, channel, block])

    private let path: String
    private let channel: String
    private let blockFrames: Int
    private let warnings: StageWarnings
    private var reader: AudioFileReader?
    private var time: Int64 = 0
    private var nonFinite = NonFiniteSamples()

    /// Sample rates the stage reads; a header outside them is refused rather than trusted.
    static let sampleRates: ClosedRange<Double> = 1000...768_000

    public init(parameters: Parameters, context: StageContext) throws {
        warnings = context.warnings
        path = parameters[Self.path]
        channel = parameters[Self.channel]
        blockFrames = parameters[Self.block]
        guard ["mix", "all"].contains(channel) || (Int(channel) ?? 0) >= 1 else {
            throw StageError.failed("channel '\(channel)' must be mix, all or a channel number from 1")
        }
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        guard !path.isEmpty else {
            throw StageError.failed("no input file: set `path:` in the graph, or give files to `sergraph process`")
        }
        let reader = try AudioFileReader(path: path)
        guard Self.sampleRates.contains(reader.sampleRate) else {
            throw StageError.file(path: path, message: "its header says \(reader.sampleRate.formatted) Hz; file-source reads "
                                  + "\(Self.sampleRates.lowerBound.formatted) to \(Self.sampleRates.upperBound.formatted) Hz")
        }
        if let number = Int(channel), number > reader.channels {
            throw StageError.file(path: path, message: "has \(reader.channels) channel(s); channel \(number) does not exist")
        }
        self.reader = reader
        let channels = channel == "all" ? reader.channels : 1
        return [.audio(sampleRate: reader.sampleRate, channels: channels)]
    }

    public func produce(output: Output) throws -> Bool {
        guard let reader else { return false }
        var samples = try reader.read(frames: blockFrames)
        guard !samples.isEmpty else {
            reader.close()
            self.reader = nil
            if let summary = nonFinite.summary(sampleRate: reader.sampleRate) { warnings.warn("\(path): \(summary)") }
            return false
        }
        nonFinite.replace(in: &samples, channels: reader.channels, time: time)
        let block = Block(time: time, width: reader.channels, values: samples)
        time += Int64(block.rows)
        switch channel {
        case "all": try output.emit(block)
        case "mix": try output.emit(Self.mixDown(block))
        default: try output.emit(Self.pick(channel: Int(channel)! - 1, of: block))
        }
        return true
    }

    /// Closes the file if the stream did not reach its end.
    public func close() {
        reader?.close()
        reader = nil
    }

    /// The average of every channel, as one channel.
    static func mixDown(_ block: Block) -> Block {
        Block(time: block.time, width: 1, values: mixToMono(block.values, channels: block.width))
    }

    /// One channel of an interleaved block.
    static func pick(channel: Int, of block: Block) -> Block {
        Block(time: block.time, width: 1, values: stride(from: channel, to: block.values.count, by: block.width).map { block.values[$0] })
    }
}
