/// What the engine drives: a processing step that agrees its formats before the first block,
/// then turns the blocks it receives into blocks it emits.
///
/// Lifecycle:
/// ```
/// prepare(inputs:)  ─▶  process(_:port:output:) …  ─▶  finish(output:)  ─▶  close()
///  formats agreed        one call per block             end of stream        always, last
/// ```
/// `close` runs on every path: after `finish`, and also when this or another stage failed in
/// `prepare`, `process` or `finish`, or the run stopped. A processor only writes what it
/// changes: `prepare` passes formats through, `finish` and `close` do nothing unless it says
/// otherwise.
public protocol Processor: AnyObject {
    /// Agrees formats before any block flows.
    /// - Parameter inputs: the format arriving on each input port, in port order.
    /// - Returns: the format of each output port, in port order.
    /// - Throws: `StageError.format` when an input cannot be taken (name the port).
    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat]

    /// Handles one block that arrived on input port `port`, emitting any results to `output`.
    func process(_ block: Block, port: Int, output: Output) throws

    /// Emits what is still held at the end of the stream (partial windows, filter tails).
    func finish(output: Output) throws

    /// Changes parameter `name` to `value` (as written in a graph file) while blocks flow.
    func control(_ name: String, value: String) throws

    /// Lets go of what the stage holds (open files, devices, large buffers), whether or not the
    /// run completed; called once, last. Completing an output belongs in `finish`; its file
    /// is committed or discarded by the engine.
    func close()
}

extension Processor {
    /// Passes the input formats through unchanged.
    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { inputs }

    /// Nothing is held back.
    public func finish(output: Output) throws {}

    /// Nothing is held.
    public func close() {}

    /// Parameters are fixed once the stage is made.
    public func control(_ name: String, value: String) throws {
        throw StageError.failed("parameter '\(name)' cannot change while the stage runs")
    }
}

/// A processor with no inputs that produces a stream (a file, a signal generator, a sound card).
public protocol SourceProcessor: Processor {
    /// Emits the next block(s) to `output`.
    /// - Returns: false once the stream has ended.
    func produce(output: Output) throws -> Bool
}

extension SourceProcessor {
    /// Sources have no inputs.
    public func process(_ block: Block, port: Int, output: Output) throws {}
}

/// A stage type written in Swift: its declaration and its constructor, beside the processing.
public protocol Stage: Processor {
    /// The stage's declaration: name, summary, ports and parameters.
    static var info: StageInfo { get }

    /// Creates the stage from validated parameters. Open no files and start no work here
    /// that `prepare` can do: graphs are instantiated to be validated too.
    init(parameters: Parameters, context: StageContext) throws

    /// Takes a new value of one of the parameters the stage declares `live`, checked as a
    /// graph file's would be, between two processing steps.
    func apply(_ change: ParameterChange) throws
}

extension Stage {
    /// A stage that declares live parameters applies their changes; reaching this is a stage
    /// that declares one without applying it.
    public func apply(_ change: ParameterChange) throws {
        throw StageError.failed("parameter '\(change.name)' is declared live but \(Self.info.name) does not apply it")
    }

    /// Checks the change against the stage's declaration (refusing undeclared, fixed and
    /// out-of-range ones with a graph file's wording) and applies it.
    public func control(_ name: String, value: String) throws {
        try apply(try Self.info.liveChange(name, value))
    }
}

/// A Swift stage type that produces a stream.
public typealias SourceStage = Stage & SourceProcessor

/// Where a stage sends its blocks. The engine routes each output port to the inputs
/// connected to it.
public final class Output {
    private let route: (Int, Block) throws -> Void

    /// Creates an output that hands each emitted block, with its port, to `route`.
    public init(route: @escaping (Int, Block) throws -> Void) {
        self.route = route
    }

    /// Sends `block` out of output port `port`.
    public func emit(_ block: Block, port: Int = 0) throws {
        try route(port, block)
    }
}

/// Everything a stage may need from the engine besides its parameters.
public struct StageContext: Sendable {
    /// The stage's name in the graph.
    public var stageName: String
    /// Creates and commits output files so that no half-written file ever carries its final name.
    public var outputs: OutputFiles
    /// Where the stage says what it worked around (the run reports it with the input it concerns).
    public var warnings: StageWarnings
    /// Where models are loaded, checked and shared by folder and content.
    public var models: ModelRegistry
    /// What else the run offers (a live graph's JACK session); empty offline.
    public var services: StageServices

    /// Creates a context.
    public init(stageName: String, outputs: OutputFiles, warnings: StageWarnings = StageWarnings(),
                models: ModelRegistry = .shared, services: StageServices = StageServices()) {
        self.stageName = stageName
        self.outputs = outputs
        self.warnings = warnings
        self.models = models
        self.services = services
    }
}

/// A failure inside a stage, with what a user needs to act on it.
public enum StageError: Error, Sendable, CustomStringConvertible {
    /// An input format the stage cannot take.
    case format(port: String, message: String)
    /// A file that cannot be read or written.
    case file(path: String, message: String)
    /// Anything else.
    case failed(String)

    /// The failure as a user reads it, naming the port or file.
    public var description: String {
        switch self {
        case .format(let port, let message): return "port '\(port)': \(message)"
        case .file(let path, let message): return "\(path): \(message)"
        case .failed(let message): return message
        }
    }
}
