import Foundation
import SERGraph
import StageKit
import Stages
import StageTesting
import Testing
import TestSupport

/// Swift stages exported through `StagePlugin`'s C descriptor and driven by the host's
/// plugin wrapper, so that every call crosses the ABI both ways as it does for a library:
/// a source's stream, a parameter change, and errors with their messages and ports.
@Suite struct ABIRoundTripTests {
    /// The stages below, read back from their C descriptor by the host's plugin loader.
    static func roundTrip() throws -> LoadedPlugin {
        try PluginLoader.read(StagePlugin.descriptor(name: "abi-round-trip", version: "0.0.1",
                                                     stages: [Ramp.self, Scale.self, Failing.self]), path: "round-trip")
    }

    func make(_ stage: String, _ parameters: [String: ParameterValue] = [:]) throws -> any Processor {
        let factory = try #require(try Self.roundTrip().factories.first { $0.info.name == stage })
        return try factory.make(try Parameters(parameters, specs: factory.info.parameters),
                                StageContext(stageName: stage, outputs: OutputFiles()))
    }

    /// A source (no inputs) produces its stream through the ABI's `produce`, to its end.
    @Test func sourceProducesAStream() throws {
        let plugin = try Self.roundTrip()
        #expect(plugin.factories.first { $0.info.name == "ramp" }?.isSource == true)
        let ramp = try StageHarness(try make("ramp", ["blocks": .integer(3), "frames": .integer(4)]), inputs: [])
        #expect(ramp.outputFormats == [.audio(sampleRate: 8000, channels: 1)])
        let blocks = try ramp.drain()
        #expect(blocks.map(\.port) == [0, 0, 0])
        #expect(blocks.map(\.block.time) == [0, 4, 8])
        #expect(blocks.flatMap(\.block.values) == (0..<12).map(Float.init))
    }

    /// In a graph, the engine drives the plugin source like a built-in one.
    @Test func sourceRunsInAGraph() throws {
        var registry = StageRegistry(BuiltinStages.all())
        try registry.register(Self.roundTrip())
        let folder = try TemporaryFolder("abi-source")
        let path = folder.file("ramp.wav")
        let graph = try GraphLoader(registry: registry).load("ramp blocks=5 frames=800 ! audio-file-sink path=ramp.wav")
        let statistics = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: folder.path)).run()
        #expect(statistics.blocks == 5 && statistics.seconds == 0.5)
        let written = try StageHarness(try make("scale"), inputs: [.audio(sampleRate: 8000, channels: 1)]).push(file: path)
        #expect(written.flatMap(\.values).count == 4000)
    }

    /// `control` reaches the stage inside the plugin, and its refusal comes back word for word.
    @Test func controlChangesAParameter() throws {
        let scale = try StageHarness(try make("scale"), inputs: [.audio(sampleRate: 8000, channels: 1)])
        #expect(try scale.push(Block(time: 0, width: 1, values: [1, -2])).flatMap(\.values) == [1, -2])
        try scale.processor.control("factor", value: "2.5")
        #expect(try scale.push(Block(time: 2, width: 1, values: [1, -2])).flatMap(\.values) == [2.5, -5])
        let refused = #expect(throws: StageError.self) { try scale.processor.control("factor", value: "très fort") }
        #expect(refused?.description == "parameter 'factor' expects a number, got 'très fort'")
        let unknown = #expect(throws: StageError.self) { try scale.processor.control("volume", value: "1") }
        #expect(unknown?.description == "unknown parameter 'volume' for scale; it has factor")
        #expect(try scale.push(Block(time: 4, width: 1, values: [2])).flatMap(\.values) == [5])
        // A stage that takes no changes says so through the SDK's default.
        let fixed = #expect(throws: StageError.self) { try make("ramp").control("blocks", value: "2") }
        #expect(fixed?.description == "parameter 'blocks' of ramp cannot change while the stage runs; it has no live parameters")
    }

    /// A plugin in C without a `control` function: the host refuses the change itself.
    @Test func controlOfAStageWithoutOne() throws {
        let folder = try TemporaryFolder("abi-control")
        let invert = try pluginFactory(try buildCPlugin([], named: "invert", in: folder), stage: "invert")
        let processor = try invert.make(try Parameters([:], specs: invert.info.parameters),
                                        StageContext(stageName: "invert", outputs: OutputFiles()))
        let error = #expect(throws: StageError.self) { try processor.control("gain", value: "2") }
        #expect(error?.description == "parameter 'gain' cannot change while the stage runs")
    }

    /// What `prepare`, `process` and `finish` throw inside the plugin arrives in the host as
    /// the same error: message (UTF-8 intact) and port.
    @Test(arguments: [
        ("prepare", StageError.format(port: "in", message: "needs 16 kHz — got 8 kHz")),
        ("process", StageError.failed("block at 0 is unreadable: ♪ ✗")),
        ("finish", StageError.format(port: "out", message: "nothing to flush")),
    ])
    func errorsCrossIntact(at call: String, thrown: StageError) throws {
        let failing = try make("failing", ["at": .text(call)])
        let error = #expect(throws: StageError.self) {
            let harness = try StageHarness(failing, inputs: [.audio(sampleRate: 8000, channels: 1)])
            try harness.push(Block(time: 0, width: 1, values: [0]))
            try harness.finish()
        }
        #expect(error.map(String.init(describing:)) == thrown.description)
        switch (error, thrown) {
        case (.format(let port, let message)?, .format(let expectedPort, let expectedMessage)):
            #expect(port == expectedPort && message == expectedMessage)
        case (.failed(let message)?, .failed(let expected)):
            #expect(message == expected)
        default:
            Issue.record("\(String(describing: error)) is not the kind of \(thrown)")
        }
    }

    /// In a graph, the error names the stage (and the port, for formats).
    @Test func errorsNameTheStageInAGraph() throws {
        var registry = StageRegistry(BuiltinStages.all())
        try registry.register(Self.roundTrip())
        let graph = { (at: String) in
            try GraphValidator(registry: registry).validate(GraphFileParser.parse(
                yaml: "stages:\n  ramp: {type: ramp}\n  picky: {type: failing, from: ramp, at: \(at)}\n  gain: {type: gain, from: picky}\n", file: "g.yaml"))
        }
        let preparing = #expect(throws: GraphError.self) { try Pipeline(graph: graph("prepare")).prepare() }
        let diagnostic = preparing?.diagnostics.first
        #expect(diagnostic?.stage == "picky" && diagnostic?.port == "in")
        #expect(diagnostic?.message == "needs 16 kHz — got 8 kHz" && diagnostic?.upstream == "ramp")
        let processing = #expect(throws: RunError.self) { try Pipeline(graph: graph("process")).run() }
        #expect(processing?.stage == "picky")
        #expect(processing?.message == "block at 0 is unreadable: ♪ ✗")
    }
}

/// Counts up: `blocks` blocks of `frames` samples, 0, 1, 2, … at 8 kHz.
final class Ramp: SourceStage {
    static let info = StageInfo(
        name: "ramp", summary: "Counts up.", inputs: [], outputs: [PortSpec("out", .audio, doc: "the count")],
        parameters: [blocks, frames])
    static let blocks = Parameter<Int>("blocks", default: 3, range: 1...1000, doc: "blocks to emit")
    static let frames = Parameter<Int>("frames", default: 4, range: 1...10000, doc: "samples per block")
    private let blocks: Int
    private let frames: Int
    private var emitted = 0

    init(parameters: Parameters, context: StageContext) throws {
        blocks = parameters[Self.blocks]
        frames = parameters[Self.frames]
    }

    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { [.audio(sampleRate: 8000, channels: 1)] }

    func produce(output: Output) throws -> Bool {
        let start = emitted * frames
        try output.emit(Block(time: Int64(start), width: 1, values: (start..<start + frames).map(Float.init)))
        emitted += 1
        return emitted < blocks
    }
}

/// Multiplies by `factor`, which may change while blocks flow.
final class Scale: Stage {
    static let info = StageInfo(
        name: "scale", summary: "Multiplies.", inputs: [PortSpec("in", .audio, doc: "audio")],
        outputs: [PortSpec("out", .audio, doc: "audio times factor")],
        parameters: [factor])
    static let factor = Parameter<Double>("factor", default: 1, live: true, doc: "the factor")
    private var factor: Float

    init(parameters: Parameters, context: StageContext) throws { factor = Float(parameters[Self.factor]) }

    func process(_ block: Block, port: Int, output: Output) throws {
        try output.emit(Block(time: block.time, width: block.width, values: block.values.map { $0 * factor }))
    }

    func apply(_ change: ParameterChange) throws {
        if let factor = change[Self.factor] { self.factor = Float(factor) }
    }
}

/// Throws from the call named by `at`.
final class Failing: Stage {
    static let info = StageInfo(
        name: "failing", summary: "Fails.", inputs: [PortSpec("in", .audio, doc: "audio")],
        outputs: [PortSpec("out", .audio, doc: "audio")],
        parameters: [at])
    enum Call: String, ParameterChoice { case prepare, process, finish }
    static let at = Parameter<Call>("at", default: .process, doc: "where")
    private let at: Call

    init(parameters: Parameters, context: StageContext) throws { at = parameters[Self.at] }

    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        if at == .prepare { throw StageError.format(port: "in", message: "needs 16 kHz — got 8 kHz") }
        return inputs
    }

    func process(_ block: Block, port: Int, output: Output) throws {
        if at == .process { throw StageError.failed("block at \(block.time) is unreadable: ♪ ✗") }
        try output.emit(block)
    }

    func finish(output: Output) throws {
        if at == .finish { throw StageError.format(port: "out", message: "nothing to flush") }
    }
}
