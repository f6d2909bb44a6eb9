import AudioFiles
import Foundation
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Every `FaultyStage` made (held weakly), with how many times each was closed. Batch workers
/// make stages on two threads at once: appends take `faultyStagesLock`.
nonisolated(unsafe) private var faultyStages: [(stage: Weak, closes: CloseCount)] = []
private let faultyStagesLock = NSLock()

private struct Weak { weak var object: AnyObject? }

private final class CloseCount { var value = 0 }

/// A stage that fails on purpose in `prepare`, `process` or `finish` (parameter `when`), as a
/// full disk would, and counts how often it is closed.
private final class FaultyStage: Stage {
    static let info = StageInfo(
        name: "faulty", summary: "Fails where it is told to.",
        inputs: [PortSpec("in", .event, doc: "events")],
        parameters: [when])
    enum Call: String, ParameterChoice { case prepare, process, finish, never }
    static let when = Parameter<Call>("when", default: .never, doc: "where it fails")
    private let when: Call
    private let closes = CloseCount()

    init(parameters: Parameters, context: StageContext) throws {
        when = parameters[Self.when]
        faultyStagesLock.withLock { faultyStages.append((Weak(object: self), closes)) }
    }

    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        if when == .prepare { throw StageError.failed("no space left on device (on purpose, in prepare)") }
        return []
    }

    func process(_ block: Block, port: Int, output: Output) throws {
        if when == .process { throw StageError.failed("no space left on device (on purpose, in process)") }
    }

    func finish(output: Output) throws {
        if when == .finish { throw StageError.failed("no space left on device (on purpose, in finish)") }
    }

    func close() { closes.value += 1 }
}

private struct Silent: BatchProgress {
    func started(_ input: BatchInput) {}
    func advanced(_ input: BatchInput, seconds: Double) {}
    func warned(_ input: BatchInput, _ message: String) {}
    func ended(_ input: BatchInput, _ outcome: BatchProcessor.Outcome) {}
}

/// The pipeline owns teardown: whatever fails (or nothing), every stage is closed once and
/// released, no file stays open and no `.partial` file stays behind, over a long batch.
@Suite(.serialized) struct TeardownTests {
    let registry = StageRegistry(BuiltinStages.all() + [StageFactory(FaultyStage.self, origin: "test")])
    static let inputs = 12

    /// Descriptors of this process open on files in `folder` (a leaked one shows as
    /// "…/x.jsonl.partial (deleted)"); other tests' files are elsewhere.
    func descriptorsOpen(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)).flatMap { $0.hasPrefix(folder) ? $0 : nil }
        }
    }

    @Test(arguments: ["prepare", "process", "finish", "folder-cannot-be-made", "never"])
    func everyStageIsClosedOnEveryPath(failure: String) throws {
        let folder = try TemporaryFolder("teardown")
        for name in ["in", "out"] { try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true) }
        for index in 0..<Self.inputs {
            let writer = try AudioFileWriter(path: folder.file("in/\(index).wav"), sampleRate: 16000, channels: 1)
            try writer.write(sine(frequency: 200, rate: 16000, seconds: 0.5))
            try writer.close()
            // A file where the csv sink's folder would go: making the folder fails (in prepare).
            if failure == "folder-cannot-be-made" { try Data().write(to: URL(fileURLWithPath: folder.file("out/\(index).blocked"))) }
        }
        let when = ["prepare", "process", "finish"].contains(failure) ? failure : "never"
        let csvPath = failure == "folder-cannot-be-made" ? "{stem}.blocked/levels.csv" : "{stem}.csv"
        let graph = try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: """
            chain:
              - file-source
              - level: {window: 0.1}
              - jsonl-sink: {path: "{stem}.jsonl"}
            stages:
              csv: {type: csv-sink, from: level, path: "\(csvPath)"}
              fault: {type: faulty, from: level, when: \(when)}
            """, file: "teardown.yaml"))
        faultyStages = []
        let inputs = try collectInputs([folder.file("in")], extensions: ["wav"], skipped: { _ in })
        let outcomes = try BatchProcessor(graph: graph, outputDirectory: folder.file("out"), jobs: 2)
            .run(inputs, progress: Silent())

        #expect(outcomes.count == Self.inputs)
        let failed = outcomes.filter { if case .failed = $0 { return true } else { return false } }.count
        #expect(failed == (failure == "never" ? 0 : Self.inputs), "\(outcomes)")
        #expect(try descriptorsOpen(in: folder.path).isEmpty)
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder.file("out"))
        #expect(files.filter { $0.hasSuffix(".partial") }.isEmpty, "\(files)")
        #expect(files.filter { $0.hasSuffix(".jsonl") }.count == (failure == "never" ? Self.inputs : 0))
        #expect(faultyStages.count == Self.inputs)
        #expect(faultyStages.allSatisfy { $0.stage.object == nil }, "stages still held after their pipeline ended")
        #expect(faultyStages.map(\.closes.value) == Array(repeating: 1, count: Self.inputs))
    }

    /// A pipeline that was only prepared (as `validate` does) deletes its temporary files when
    /// closed, and closes its stages once however often it is closed.
    @Test func preparedPipelineClosesOnce() throws {
        let folder = try TemporaryFolder("teardown-prepared")
        let graph = try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: """
            chain:
              - tone: {duration: 0.1}
              - level
              - jsonl-sink: {path: "{stem}.jsonl"}
            stages:
              fault: {type: faulty, from: level}
            """, file: "prepared.yaml"))
        faultyStages = []
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: folder.path, stem: "x"))
        try pipeline.prepare()
        #expect(FileManager.default.fileExists(atPath: folder.file("x.jsonl.partial")))
        #expect(try descriptorsOpen(in: folder.path).count == 1)
        let closes = try #require(faultyStages.first?.closes)
        pipeline.close()
        pipeline.close()
        #expect(closes.value == 1)
        #expect(faultyStages.first?.stage.object == nil)
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.jsonl.partial")))
        #expect(try descriptorsOpen(in: folder.path).isEmpty)
        #expect(throws: GraphError.self) { try pipeline.run() }
    }
}
