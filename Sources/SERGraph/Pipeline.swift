import Foundation
import StageKit

/// One runnable instance of a validated graph: its stages made, their formats agreed, and a
/// push scheduler that carries each block a source emits through every stage it reaches.
///
/// ```
///  source.produce ─▶ emit ─▶ stage.process ─▶ emit ─▶ sink.process
///        ▲                                                  │
///        └──────────── next block once this one is done ◀───┘
/// ```
/// Delivery is depth first, as a recursive push would do it: each emitted block reaches every
/// reader in turn, and what a reader emits reaches its own readers before the next reader gets
/// the block. It runs from a stack of pending deliveries rather than by recursion, so a chain
/// of thousands of stages needs no more call stack than a chain of two.
/// At the end of the stream each stage's `finish` runs in topological order, so what a stage
/// flushes still reaches the stages after it; then every stage is closed and the outputs
/// receive their final names. The pipeline owns teardown: on every path (a failure in
/// `prepare`, `process` or `finish`, a stop, or a pipeline released unrun) each stage is
/// closed once and every output not committed is deleted.
public final class Pipeline {
    /// The graph this pipeline runs.
    public let graph: ValidatedGraph
    /// The run's output files, committed when the run completes.
    public let outputs = OutputFiles()
    /// What the stages worked around while running (e.g. bad samples replaced).
    public let warnings: StageWarnings
    /// Each stage's output formats, agreed by `prepare` (and changed by a swap that changes labels).
    public internal(set) var formats: [[StreamFormat]] = []
    /// Where the stages load and share their models.
    public let models: ModelRegistry
    var processors: [any Processor] = []
    /// The stages whose model can be replaced while blocks flow, by stage index (fixed once made).
    private(set) var swappers: [Int: any ModelSwapping] = [:]
    /// The stages that take other labels while blocks flow, by stage index (fixed once made).
    private(set) var followers: [Int: any LabelFollowing] = [:]
    var emitters: [Output] = []
    /// Readers of each stage's output ports: routes[stage][port] = [(stage, input port)].
    private(set) var routes: [[[(stage: Int, port: Int)]]]
    /// What reached each stage (blocks and rows, on all inputs) and left it on its first
    /// output (rows), and the latest block time it received; read on the worker.
    private(set) var blocksIn: [Int], rowsIn: [Int], rowsOut: [Int], latestTime: [Int64]
    /// The longest a block took to pass through the stages after its source emitted it, in
    /// nanoseconds, since `status` last read it.
    var longestStep: UInt64 = 0
    /// When (uptime, ns) the swap last installed in a stage was asked for, until its first row
    /// comes out; then how long that took, in seconds.
    var swapRequested: [Int: UInt64] = [:], swapToFirstRow: [Int: Double] = [:]
    /// Work the control plane hands to the thread running the graph, done between two blocks.
    let mailbox = Mailbox()
    /// Which stages are sources (their blocks are counted) and which are sinks (observed).
    private let isSource: [Bool], isSink: [Bool]
    /// What the stage being called has emitted so far, in order, not yet delivered.
    private var emitted: [(port: Int, block: Block)] = []
    /// Deliveries still to make, the next one last.
    private var deliveries: [(block: Block, stage: Int, port: Int)] = []
    /// Whether the stages have been closed and released (a pipeline runs once).
    private var isClosed = false
    /// What the sources have produced so far (readable while the run goes on, from its thread).
    public private(set) var statistics = RunStatistics()
    /// Wakes the thread running the graph where a source may keep it waiting (a live capture
    /// waiting for audio), so that control work (a model to install) is done as soon as it is
    /// posted rather than after the source's next block. `sergraph run` wakes its capture streams.
    public var wakeForControl: (() -> Void)? {
        get { mailbox.wake }
        set { mailbox.wake = newValue }
    }
    /// Called with each block of events that reaches a sink (a stage without outputs), and the
    /// format it arrives in: where a live run measures how late its decisions are.
    public var sinkEventObserver: ((Block, StreamFormat) -> Void)?

    /// Makes every stage of `graph` with the parameter values of `bindings`; the stages' warnings
    /// go to `warnings`, and `services` (a live run's JACK session) are offered to every stage.
    /// - Throws: `GraphError` naming each stage that refused its parameters.
    public init(graph: ValidatedGraph, bindings: RunBindings = RunBindings(), warnings: StageWarnings = StageWarnings(),
                models: ModelRegistry = .shared, services: StageServices = StageServices()) throws {
        self.graph = graph
        self.warnings = warnings
        self.models = models
        let stageCount = graph.stages.count
        (blocksIn, rowsIn, rowsOut) = (Array(repeating: 0, count: stageCount), Array(repeating: 0, count: stageCount), Array(repeating: 0, count: stageCount))
        latestTime = Array(repeating: 0, count: stageCount)
        isSource = graph.stages.map(\.factory.isSource)
        isSink = graph.stages.map(\.factory.info.outputs.isEmpty)
        routes = graph.stages.map { Array(repeating: [], count: $0.factory.info.outputs.count) }
        for (reader, node) in graph.stages.enumerated() {
            for (port, input) in node.inputs.enumerated() {
                routes[input.stage][input.port].append((reader, port))
            }
        }
        var problems: [Diagnostic] = []
        for node in graph.stages {
            let context = StageContext(stageName: node.name, outputs: outputs, warnings: warnings, models: models,
                                       services: services)
            do {
                let parameters = try Parameters(bindings.parameters(of: node), specs: node.factory.info.parameters)
                processors.append(try node.factory.make(parameters, context))
            } catch {
                problems.append(Diagnostic("\(error)", at: node.location, stage: node.name))
            }
        }
        guard problems.isEmpty else { throw GraphError(problems) }
        for (index, processor) in processors.enumerated() {
            if let swapping = processor as? any ModelSwapping { swappers[index] = swapping }
            if let following = processor as? any LabelFollowing { followers[index] = following }
        }
        emitters = graph.stages.indices.map { index in
            Output { [unowned self] port, block in try self.collect(block, from: index, port: port) }
        }
    }

    deinit { close() }

    /// Agrees every stream's format, in topological order, before any block flows. On failure
    /// the pipeline is closed.
    /// - Throws: `GraphError` naming the stage (and port) that cannot take its inputs.
    public func prepare() throws {
        do {
            try agreeFormats()
        } catch {
            close()
            throw error
        }
    }

    private func agreeFormats() throws {
        try requireOpen()
        formats = []
        for (index, node) in graph.stages.enumerated() {
            let inputs = node.inputs.map { formats[$0.stage][$0.port] }
            do {
                let produced = try processors[index].prepare(inputs: inputs)
                guard produced.count == node.factory.info.outputs.count else {
                    throw StageError.failed("prepared \(produced.count) outputs but declares \(node.factory.info.outputs.count)")
                }
                formats.append(produced)
            } catch let StageError.format(port, message) {
                let from = node.factory.info.inputs.firstIndex { $0.name == port }.map { node.inputs[$0] }
                throw GraphError([Diagnostic(message, at: node.location, stage: node.name, port: port,
                                             upstream: from.map { graph.stages[$0.stage].name })])
            } catch {
                throw GraphError([Diagnostic("\(error)", at: node.location, stage: node.name)])
            }
        }
    }

    /// Runs until every source has ended or `shouldStop` says so (asked before each round of
    /// blocks), then finishes every stage, closes them and commits the outputs. On failure, or
    /// when `shouldStop` throws (the run is abandoned), the stages are closed all the same and
    /// the outputs discarded; either way the pipeline is closed when `run` returns.
    /// - Returns: how much the sources produced.
    /// - Throws: `RunError` naming the stage that failed, or what `shouldStop` threw.
    @discardableResult
    public func run(shouldStop: () throws -> Bool = { false }) throws -> RunStatistics {
        defer { close() }
        try requireOpen()
        if formats.isEmpty { try agreeFormats() }
        var active = try graph.stages.indices.filter { isSource[$0] }.map { index in
            guard let source = processors[index] as? any SourceProcessor else {
                throw RunError(stage: graph.stages[index].name, message: "has no inputs but does not produce a stream")
            }
            return (index, source)
        }
        while try !active.isEmpty && !shouldStop() {
            mailbox.deliver()
            active = try active.filter { index, source in
                try calling(index) { try source.produce(output: emitters[index]) }
            }
        }
        for index in processors.indices {
            try calling(index) { try processors[index].finish(output: emitters[index]) }
        }
        closeStages()
        try outputs.commit()
        return statistics
    }

    /// Closes every stage (each once) and releases them, and deletes the temporary files of
    /// outputs not committed. `run` and a failing `prepare` call it, and so does releasing the
    /// pipeline; after it the pipeline cannot run.
    public func close() {
        mailbox.close()
        closeStages()
        outputs.discard()
    }

    private func closeStages() {
        guard !isClosed else { return }
        isClosed = true
        for processor in processors { processor.close() }
        processors = []
        emitted = []
        deliveries = []
    }

    private func requireOpen() throws {
        guard !isClosed else {
            throw GraphError([Diagnostic("this pipeline has been closed; make a new one to run the graph again",
                                         at: SourceLocation(file: graph.file))])
        }
    }

    /// Keeps a block stage `stage` emits on output `port` until the stage's call returns.
    private func collect(_ block: Block, from stage: Int, port: Int) throws {
        guard routes[stage].indices.contains(port) else {
            throw StageError.failed("emitted on output \(port), but it has \(routes[stage].count) output(s)")
        }
        if port == 0 { rowsOut[stage] += block.rows }
        if port == 0, block.rows > 0, !swapRequested.isEmpty, let requested = swapRequested.removeValue(forKey: stage) {
            swapToFirstRow[stage] = Double(DispatchTime.now().uptimeNanoseconds - requested) / 1e9
        }
        if isSource[stage] {
            statistics.blocks += 1
            statistics.seconds += Double(block.rows) * Double(formats[stage][port].hop) / formats[stage][port].sampleRate
        }
        emitted.append((port, block))
    }

    /// Calls into stage `index` (produce or finish), then delivers what it emitted and
    /// everything that follows from it before returning.
    private func calling<T>(_ index: Int, _ body: () throws -> T) throws -> T {
        do {
            let result = try attributing(to: index, body)
            let started = DispatchTime.now().uptimeNanoseconds
            defer { longestStep = max(longestStep, DispatchTime.now().uptimeNanoseconds - started) }
            schedule(from: index)
            while let next = deliveries.popLast() {
                if let sinkEventObserver, isSink[next.stage], !next.block.events.isEmpty {
                    let from = graph.stages[next.stage].inputs[next.port]
                    sinkEventObserver(next.block, formats[from.stage][from.port])
                }
                blocksIn[next.stage] += 1
                rowsIn[next.stage] += next.block.rows
                latestTime[next.stage] = max(latestTime[next.stage], next.block.time)
                try attributing(to: next.stage) {
                    try processors[next.stage].process(next.block, port: next.port, output: emitters[next.stage])
                }
                schedule(from: next.stage)
            }
            return result
        } catch {
            emitted.removeAll()
            deliveries.removeAll()
            throw error
        }
    }

    /// Turns what stage `stage` emitted into deliveries, stacked so that the first block's
    /// first reader comes off the stack next.
    private func schedule(from stage: Int) {
        for (port, block) in emitted.reversed() {
            for (reader, input) in routes[stage][port].reversed() {
                deliveries.append((block, reader, input))
            }
        }
        emitted.removeAll(keepingCapacity: true)
    }

    /// Runs `body`, naming stage `index` in any error that does not already name a stage.
    private func attributing<T>(to index: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(stage: graph.stages[index].name, message: "\(error)")
        }
    }
}

/// What a run's sources produced.
public struct RunStatistics: Sendable, Equatable {
    /// Blocks emitted by sources.
    public var blocks = 0
    /// Stream time covered by those blocks, in seconds (summed over sources).
    public var seconds = 0.0
}

/// A failure while blocks flow, naming the stage where it happened.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public var stage: String
    public var message: String

    public init(stage: String, message: String) {
        self.stage = stage
        self.message = message
    }

    public var description: String { "stage '\(stage)': \(message)" }
}
