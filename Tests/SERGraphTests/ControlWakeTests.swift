import Foundation
import SERGraph
import StageKit
import Stages
import Testing

/// A source that waits for its audio as a live capture does: up to 5 s per block, or until
/// `arrival` is signalled.
final class WaitingSource: SourceStage {
    static let info = StageInfo(name: "waiting-source", summary: "Emits a block of silence each time it is woken (or every 5 s).",
                                outputs: [PortSpec("out", .audio, doc: "16 kHz mono silence")])
    static let arrival = DispatchSemaphore(value: 0)
    nonisolated(unsafe) static var stop = false
    private var time: Int64 = 0

    init(parameters: Parameters, context: StageContext) throws {}
    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { [.audio(sampleRate: 16000, channels: 1)] }
    func produce(output: Output) throws -> Bool {
        _ = Self.arrival.wait(timeout: .now() + 5)
        try output.emit(Block(time: time, width: 1, values: [Float](repeating: 0, count: 160)))
        time += 160
        return !Self.stop
    }
}

/// Control work reaches a graph whose source is waiting for audio at once: the pipeline wakes
/// its thread (`wakeForControl`, which `sergraph run` points at its capture streams) instead of
/// leaving the request until the next block arrives.
@Suite struct ControlWakeTests {
    @Test func controlRequestsWakeAWaitingSource() throws {
        let registry = StageRegistry(BuiltinStages.all() + [StageFactory(WaitingSource.self, origin: "test")])
        let graph = try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: """
            chain:
              - waiting-source: {}
              - level: {window: 0.01}
              - jsonl-sink: {path: "{stem}.jsonl"}
            """, file: "wake.yaml"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-wake-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: folder))
        pipeline.wakeForControl = { WaitingSource.arrival.signal() }
        try pipeline.prepare()
        let ended = DispatchSemaphore(value: 0)
        Thread {
            _ = try? pipeline.run()
            ended.signal()
        }.start()
        for _ in 0..<3 {
            let started = Date()
            _ = try pipeline.status()
            let waited = Date().timeIntervalSince(started)
            #expect(waited < 2.5, "a status request waited \(waited) s for the source's next block")
        }
        WaitingSource.stop = true
        WaitingSource.arrival.signal()
        #expect(ended.wait(timeout: .now() + 15) == .success)
    }
}
