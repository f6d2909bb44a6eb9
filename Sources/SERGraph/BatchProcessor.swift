import Foundation
import StageKit

/// Runs one graph over many files, in parallel, skipping files whose outputs are complete,
/// and keeping every other file's results when one fails.
public struct BatchProcessor: Sendable {
    /// The graph to run; it must have exactly one source that reads a file.
    public var graph: ValidatedGraph
    /// Where outputs go.
    public var outputDirectory: String
    /// Files processed at once.
    public var jobs: Int
    /// Process files even when their outputs exist.
    public var force: Bool
    /// Parameter values changed while the batch runs (`sergraph ctl`), taken by each input as it starts.
    public let changes = BatchChanges()

    public init(graph: ValidatedGraph, outputDirectory: String, jobs: Int, force: Bool = false) {
        self.graph = graph
        self.outputDirectory = outputDirectory
        self.jobs = max(1, jobs)
        self.force = force
    }

    /// What happened to one input.
    public enum Outcome: Sendable, Equatable {
        case processed(seconds: Double)
        case skipped
        case failed(String)
        /// Stopped part way by a request to stop; its outputs were discarded.
        case interrupted
        /// Not begun: the batch was asked to stop first.
        case notStarted
    }

    /// Checks that the graph can be fed files and that outputs of different inputs cannot collide.
    /// - Throws: `BatchInputError` saying what to change in the graph.
    public func check(inputCount: Int) throws {
        let sources = graph.fileInputs
        guard sources.count == 1 else {
            throw BatchInputError(description: "\(graph.file): `process` feeds one file source, but the graph has \(sources.count) (\(sources.map { graph.stages[$0.stage].name }.joined(separator: ", ")))")
        }
        let probe = RunBindings(outputDirectory: outputDirectory, stem: "\u{1}")
        if inputCount > 1, let fixed = try probe.outputFiles(of: graph).first(where: { !$0.contains("\u{1}") }) {
            throw BatchInputError(description: "\(graph.file): output '\(fixed)' has no {stem}, so every input would overwrite it")
        }
    }

    /// Processes `inputs`, telling `progress` as each starts and ends. Once `shouldStop` says so
    /// (it is asked before every block), each worker abandons its input at the next block,
    /// discarding that input's outputs, and no further input starts.
    /// - Returns: the outcome of each input, in input order.
    public func run(_ inputs: [BatchInput], progress: BatchProgress,
                    shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> [Outcome] {
        try check(inputCount: inputs.count)
        let source = graph.fileInputs[0]
        let sourceName = graph.stages[source.stage].name
        let queue = WorkQueue(count: inputs.count)
        let workers = try (0..<min(jobs, max(inputs.count, 1))).map { _ in
            try JoinableThread(stackSize: 8 << 20) {
                while !shouldStop(), let index = queue.next() {
                    let input = inputs[index]
                    progress.started(input)
                    let outcome = self.process(input, sourceName: sourceName, parameter: source.parameter, progress: progress,
                                               shouldStop: shouldStop)
                    queue.record(outcome, at: index)
                    progress.ended(input, outcome)
                }
            }
        }
        workers.forEach { $0.join() }
        return queue.outcomes
    }

    private func process(_ input: BatchInput, sourceName: String, parameter: String, progress: BatchProgress,
                         shouldStop: () -> Bool) -> Outcome {
        var overrides = changes.current
        overrides[sourceName, default: [:]][parameter] = .text(input.path)
        changes.started()
        defer { changes.ended() }
        let bindings = RunBindings(overrides: overrides,
                                   outputDirectory: outputDirectory, stem: input.stem)
        let outputs: [String]
        do {
            outputs = try bindings.outputFiles(of: graph)
        } catch {
            return .failed("\(error)")
        }
        if !force, !outputs.isEmpty, outputs.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            return .skipped
        }
        do {
            let pipeline = try Pipeline(graph: graph, bindings: bindings)
            var reported = Date()
            let statistics = try pipeline.run {
                if shouldStop() { throw Interruption() }
                if Date().timeIntervalSince(reported) > 0.2 {
                    reported = Date()
                    progress.advanced(input, seconds: pipeline.statistics.seconds)
                }
                return false
            }
            pipeline.warnings.messages.forEach { progress.warned(input, $0) }
            return .processed(seconds: statistics.seconds)
        } catch is Interruption {
            return .interrupted
        } catch let error as GraphError {
            return .failed(error.diagnostics.map(\.summary).joined(separator: "; "))
        } catch {
            return .failed("\(error)")
        }
    }
}

/// Parameter values set on a running batch, by stage then parameter, with the number of inputs
/// started and ended so far; safe to use from any thread.
public final class BatchChanges: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: [String: ParameterValue]] = [:]
    private var counts = (started: 0, ended: 0)

    /// The values the next input to start runs with.
    public var current: [String: [String: ParameterValue]] { lock.withLock { values } }

    /// Inputs started and ended so far.
    public var progress: (started: Int, ended: Int) { lock.withLock { counts } }

    /// Makes `value` stage `stage`'s parameter `parameter` for every input that starts from now on.
    public func set(stage: String, _ parameter: String, to value: ParameterValue) {
        lock.withLock { values[stage, default: [:]][parameter] = value }
    }

    func started() { lock.withLock { counts.started += 1 } }
    func ended() { lock.withLock { counts.ended += 1 } }
}

/// Abandons an input's pipeline when the batch is asked to stop.
private struct Interruption: Error {}

/// Hands out indices 0..<count to worker threads and collects their outcomes.
private final class WorkQueue: @unchecked Sendable {
    private let condition = NSLock()
    private var nextIndex = 0
    private let count: Int
    private var recorded: [BatchProcessor.Outcome]

    init(count: Int) {
        self.count = count
        recorded = Array(repeating: .notStarted, count: count)
    }

    func record(_ outcome: BatchProcessor.Outcome, at index: Int) {
        condition.withLock { recorded[index] = outcome }
    }

    func next() -> Int? {
        condition.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    /// Each input's outcome so far (`.notStarted` for those no worker took).
    var outcomes: [BatchProcessor.Outcome] { condition.withLock { recorded } }
}

/// Receives the progress of a batch; called from worker threads.
public protocol BatchProgress: Sendable {
    /// `input` is about to be processed.
    func started(_ input: BatchInput)
    /// `seconds` of `input`'s audio have been processed so far (a few times a second).
    func advanced(_ input: BatchInput, seconds: Double)
    /// A stage worked around a problem with `input` (told before `ended`).
    func warned(_ input: BatchInput, _ message: String)
    /// `input` is done, skipped or failed.
    func ended(_ input: BatchInput, _ outcome: BatchProcessor.Outcome)
}
