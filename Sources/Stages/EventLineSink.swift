import StageKit

/// How an event sink lays out its text: the lines before, for and after the events.
public protocol EventLineFormat {
    /// The file the sink writes (its default differs by format).
    static var path: Parameter<String> { get }
    /// The sink's declaration (its name, doc and `path`).
    static var info: StageInfo { get }
    init()
    /// Lines at the start, when the event stream's format is known.
    mutating func opening(_ format: StreamFormat) throws -> [String]
    /// Lines for one event, whose times count samples at `sampleRate`.
    mutating func lines(for event: Event, sampleRate: Double) throws -> [String]
    /// Lines at the end of the stream.
    mutating func closing() throws -> [String]
}

extension EventLineFormat {
    public mutating func opening(_ format: StreamFormat) throws -> [String] { [] }
    public mutating func closing() throws -> [String] { [] }
}

/// Writes events as lines of text, to a file (committed at the end of the run) or to
/// standard output; `Format` decides the lines.
public final class EventLineSink<Format: EventLineFormat>: Stage {
    public static var info: StageInfo { Format.info }

    private let path: String
    private let outputs: OutputFiles
    private var format = Format()
    private var output: TextOutput?
    private var sampleRate = 1.0

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters[Format.path]
        outputs = context.outputs
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        sampleRate = inputs[0].sampleRate
        output = try TextOutput(path: path, outputs: outputs)
        try write(format.opening(inputs[0]))
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        for event in block.events {
            try refuseNonFinite(event)
            try write(format.lines(for: event, sampleRate: sampleRate))
        }
    }

    /// Text has no honest number for NaN or infinity (JSON has none at all): such a field
    /// stops the run, naming the event, rather than becoming `null`, `nan` or `inf`.
    private func refuseNonFinite(_ event: Event) throws {
        guard let field = event.fields.first(where: { $0.value.number.map { !$0.isFinite } ?? false }) else { return }
        let time = (Double(event.time) / sampleRate).formatted
        throw StageError.failed("event '\(event.name)' at \(time) s has \(field.key) = \(field.value.description), which is not "
                                + "a number \(Format.info.name) can write; a stage before it produced it")
    }

    public func finish(output: Output) throws {
        try write(format.closing())
        try self.output?.close()
    }

    public func close() {
        output = nil
    }

    private func write(_ lines: [String]) throws {
        for line in lines { try output?.write(line: line) }
    }
}
