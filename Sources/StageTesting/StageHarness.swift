import AudioFiles
import StageKit

/// Runs one stage outside a graph, for tests: agree its formats, push blocks in, read what
/// came out. Plugin authors can test their stages with it as the built-ins are tested.
///
/// ```swift
/// let harness = try StageHarness(Level.self, parameters: ["window": .number(0.1)],
///                                inputs: [.audio(sampleRate: 16000, channels: 1)])
/// let events = try harness.push(Block(time: 0, width: 1, values: samples)).flatMap(\.events)
/// ```
public final class StageHarness {
    /// The stage under test.
    public let processor: any Processor
    /// The formats its outputs produce, agreed from the input formats given.
    public let outputFormats: [StreamFormat]
    private var emitted: [(port: Int, block: Block)] = []
    private lazy var output = Output { [unowned self] port, block in self.emitted.append((port, block)) }

    /// Makes a stage of type `type` with `parameters` (defaults for the rest) and agrees its formats.
    /// - Parameters:
    ///   - outputs: where the stage's output files go (defaults to a fresh `OutputFiles`).
    ///   - warnings: where the stage's warnings go, for the test to read.
    public convenience init<S: Stage>(_ type: S.Type, parameters: [String: ParameterValue] = [:],
                                      inputs: [StreamFormat] = [], outputs: OutputFiles = OutputFiles(),
                                      warnings: StageWarnings = StageWarnings()) throws {
        let values = try Parameters(parameters, specs: S.info.parameters)
        let context = StageContext(stageName: S.info.name, outputs: outputs, warnings: warnings)
        try self.init(try S(parameters: values, context: context), inputs: inputs)
    }

    /// Wraps an existing processor and agrees its formats.
    public init(_ processor: any Processor, inputs: [StreamFormat]) throws {
        self.processor = processor
        outputFormats = try processor.prepare(inputs: inputs)
    }

    /// Pushes `block` into input `port`.
    /// - Returns: the blocks the stage emitted in response, on any port.
    @discardableResult
    public func push(_ block: Block, port: Int = 0) throws -> [Block] {
        try collect { try processor.process(block, port: port, output: output) }.map(\.block)
    }

    /// Ends the stream.
    /// - Returns: the blocks the stage flushed.
    @discardableResult
    public func finish() throws -> [Block] {
        try collect { try processor.finish(output: output) }.map(\.block)
    }

    /// Pushes an audio file through the stage in blocks of `blockFrames` (all channels,
    /// interleaved, stream time from 0), then ends the stream.
    /// - Returns: every block the stage emitted.
    public func push(file path: String, blockFrames: Int = 4096) throws -> [Block] {
        let reader = try AudioFileReader(path: path)
        defer { reader.close() }
        var emitted: [Block] = []
        var time: Int64 = 0
        while case let samples = try reader.read(frames: blockFrames), !samples.isEmpty {
            let block = Block(time: time, width: reader.channels, values: samples)
            time += Int64(block.rows)
            emitted += try push(block)
        }
        return emitted + (try finish())
    }

    /// Runs a source to its end, then finishes it.
    /// - Returns: every block it emitted, with its port, in order.
    public func drain() throws -> [(port: Int, block: Block)] {
        guard let source = processor as? any SourceProcessor else { return [] }
        var all: [(port: Int, block: Block)] = []
        var more = true
        while more {
            all += try collect { more = try source.produce(output: output) }
        }
        all += try collect { try source.finish(output: output) }
        return all
    }

    private func collect(_ body: () throws -> Void) rethrows -> [(port: Int, block: Block)] {
        emitted = []
        try body()
        defer { emitted = [] }
        return emitted
    }
}
