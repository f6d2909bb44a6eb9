import SERGraph
import StageKit
import Testing

/// Every call the engine makes into the stages below, in order: "stage:port@time".
nonisolated(unsafe) private var deliveryLog: [String] = []

/// Emits two one-row blocks per `produce`, three times.
private final class TwoAtATime: SourceStage {
    static let info = StageInfo(name: "two-at-a-time", summary: "Two blocks per call.",
                                outputs: [PortSpec("out", .audio, doc: "one row per block")])
    private var time: Int64 = 0
    init(parameters: Parameters, context: StageContext) throws {}
    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { [.audio(sampleRate: 1000, channels: 1)] }
    func produce(output: Output) throws -> Bool {
        guard time < 6 else { return false }
        for _ in 0..<2 {
            try output.emit(Block(time: time, width: 1, values: [Float(time)]))
            time += 1
        }
        return true
    }
}

/// Logs each block it takes and passes it on, twice (times t and t + 100).
private final class Doubler: Stage {
    static let info = StageInfo(name: "doubler", summary: "Logs and passes each block on twice.",
                                inputs: [PortSpec("in", .audio, doc: "audio")],
                                outputs: [PortSpec("out", .audio, doc: "each block, then a copy 100 later")])
    private let name: String
    init(parameters: Parameters, context: StageContext) throws { name = context.stageName }
    func process(_ block: Block, port: Int, output: Output) throws {
        deliveryLog.append("\(name):\(port)@\(block.time)")
        try output.emit(block)
        var copy = block
        copy.time += 100
        try output.emit(copy)
    }
}

/// Logs each block on either of its two inputs.
private final class TwoInputLogger: Stage {
    static let info = StageInfo(name: "two-input-logger", summary: "Logs blocks from two inputs.",
                                inputs: [PortSpec("left", .audio, doc: "audio"), PortSpec("right", .audio, doc: "audio")])
    private let name: String
    init(parameters: Parameters, context: StageContext) throws { name = context.stageName }
    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { [] }
    func process(_ block: Block, port: Int, output: Output) throws {
        deliveryLog.append("\(name):\(port)@\(block.time)")
    }
}

/// The engine delivers depth first, as a recursive push does: each block a stage emits reaches
/// every reader, and everything that follows from it, before the next block is delivered.
@Suite(.serialized) struct DeliveryOrderTests {
    @Test func blocksFlowDepthFirstThroughADiamond() throws {
        let registry = StageRegistry([StageFactory(TwoAtATime.self, origin: "test"), StageFactory(Doubler.self, origin: "test"),
                                      StageFactory(TwoInputLogger.self, origin: "test")])
        let graph = try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: """
            stages:
              src: {type: two-at-a-time}
              a: {type: doubler, from: src}
              b: {type: doubler, from: src}
              join: {type: two-input-logger, from: {left: a, right: b}}
            """, file: "diamond.yaml"))
        deliveryLog = []
        try Pipeline(graph: graph).run()
        // What a recursive push gives, written out for the first source block (time 0):
        var expected: [String] = []
        for time in 0..<6 {
            expected += ["a:0@\(time)", "join:0@\(time)", "join:0@\(time + 100)",
                         "b:0@\(time)", "join:1@\(time)", "join:1@\(time + 100)"]
        }
        #expect(deliveryLog == expected)
    }
}
