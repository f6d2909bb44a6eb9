import Foundation
import StageKit

/// What one run of a batch (one shard of it, or all of it as shard 0 of 1) did: counts from its
/// inputs' outcomes, the failures with their reasons, and its times. Sharded runs write it as JSON
/// to `OUTPUT/.shards/shard-K-of-N.json` for `sergraph process --summarize OUTPUT`.
public struct BatchSummary: Codable, Sendable, Equatable {
    /// An input that failed, and why.
    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// This run's shard, 0 ..< `shards`.
    public var shard: Int
    /// The number of shards the inputs were split into.
    public var shards: Int
    /// The graph run.
    public var graph: String
    /// The machine it ran on.
    public var host: String
    /// The inputs of this shard.
    public var inputs: Int
    /// Inputs processed by this run.
    public var processed: Int
    /// Inputs skipped because their outputs existed (done by an earlier run).
    public var skipped: Int
    /// Inputs that failed, with their reasons.
    public var failed: [Failure]
    /// Inputs stopped part way by a stop signal (their outputs discarded).
    public var interrupted: Int
    /// Inputs not begun because a stop signal came first.
    public var notStarted: Int
    /// Seconds of audio processed by this run.
    public var audioSeconds: Double
    /// Seconds from the start of processing to the end.
    public var wallSeconds: Double
    /// The stop signal that ended the run early ("SIGTERM"), if one did.
    public var stoppedBy: String?
    /// When the run ended (ISO 8601, UTC).
    public var finished: String

    /// Counts `outcomes` (one per input, in the same order).
    public init(shard: BatchShard?, graph: String, inputs: [BatchInput], outcomes: [BatchProcessor.Outcome],
                wallSeconds: Double, stoppedBy: String?, finished: Date = Date()) {
        self.shard = shard?.index ?? 0
        shards = shard?.count ?? 1
        self.graph = graph
        host = ProcessInfo.processInfo.hostName
        self.inputs = inputs.count
        (processed, skipped, interrupted, notStarted, audioSeconds) = (0, 0, 0, 0, 0)
        failed = []
        for (input, outcome) in zip(inputs, outcomes) {
            switch outcome {
            case .processed(let seconds): processed += 1; audioSeconds += seconds
            case .skipped: skipped += 1
            case .failed(let reason): failed.append(Failure(path: input.path, reason: reason))
            case .interrupted: interrupted += 1
            case .notStarted: notStarted += 1
            }
        }
        self.wallSeconds = wallSeconds
        self.stoppedBy = stoppedBy
        self.finished = finished.formatted(.iso8601)  // FoundationEssentials: no ICU formatter to load
    }

    /// Whether a stop signal ended the run before all its inputs were tried (run it again to finish).
    public var isUnfinished: Bool { stoppedBy != nil || interrupted > 0 || notStarted > 0 }

    /// The folder below a batch's output folder that holds its shards' summaries.
    public static func folder(in output: String) -> String { (output as NSString).appendingPathComponent(".shards") }

    /// Where shard `shard` of `shards` writes its summary below `output`.
    public static func file(in output: String, shard: Int, shards: Int) -> String {
        (folder(in: output) as NSString).appendingPathComponent("shard-\(shard)-of-\(shards).json")
    }

    /// Writes the summary to its file below `output`, replacing an earlier run's (a resumed shard's
    /// summary counts what was done before as skipped).
    public func write(in output: String) throws {
        let path = Self.file(in: output, shard: shard, shards: shards)
        try makeFolders(parentFolder(of: path))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw StageError.file(path: path, message: "cannot write the shard's summary: \(error.localizedDescription)")
        }
    }

    /// The summaries written below `output`, by file name.
    /// - Throws: `BatchInputError` naming a folder without summaries or a summary that cannot be read.
    public static func readAll(in output: String) throws -> [BatchSummary] {
        let folder = folder(in: output)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw BatchInputError(description: "\(output): no shard summaries (\(folder) does not exist); `sergraph process --shard` writes them")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let path = (folder as NSString).appendingPathComponent(name)
            do {
                return try decoder.decode(BatchSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw BatchInputError(description: "\(path): not a shard summary (\(error))")
            }
        }
    }
}
