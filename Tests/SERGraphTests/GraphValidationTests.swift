import Foundation
import SERGraph
import StageKit
import Stages
import Testing

/// A stage that takes only 16 kHz mono audio, as speech encoders do.
final class SixteenKilohertzOnly: Stage {
    static let info = StageInfo(name: "needs-16k", summary: "Takes 16 kHz mono audio only.",
                                inputs: [PortSpec("speech", .audio, doc: "16 kHz mono")],
                                outputs: [PortSpec("out", .event, doc: "nothing")])
    init(parameters: Parameters, context: StageContext) throws {}
    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(sampleRate: 16000, port: "speech")
        try inputs[0].require(channels: 1, port: "speech")
        return [.event(sampleRate: 16000)]
    }
    func process(_ block: Block, port: Int, output: Output) throws {}
}

let registry = StageRegistry(BuiltinStages.all() + [StageFactory(SixteenKilohertzOnly.self, origin: "test")])

/// Parses and validates `yaml`, expecting it to fail.
/// - Returns: the diagnostics.
func problems(_ yaml: String) -> [Diagnostic] {
    do {
        let spec = try GraphFileParser.parse(yaml: yaml, file: "graph.yaml")
        let graph = try GraphValidator(registry: registry).validate(spec)
        let pipeline = try Pipeline(graph: graph)
        try pipeline.prepare()
        return []
    } catch let error as GraphError {
        return error.diagnostics
    } catch {
        return [Diagnostic("unexpected \(error)", at: SourceLocation(file: "?"))]
    }
}

/// One test per kind of mistake in a graph file; each checks the message names the file,
/// line, stage and port it concerns.
@Suite struct GraphValidationTests {
    @Test func validGraphPasses() throws {
        let yaml = """
            chain:
              - tone: {rate: 48000, duration: 0.1}
              - resample: {rate: 16000}
              - needs-16k
            """
        #expect(problems(yaml).isEmpty)
    }

    @Test func malformedYAMLNamesLine() {
        let found = problems("chain:\n  - tone\n  - resample: {rate: 16000\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4 || found.first?.location.line == 3)
        #expect(found.first?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func unknownStageTypeWithSuggestion() {
        let found = problems("chain:\n  - tone\n  - resampel: {rate: 16000}\n")
        #expect(found.count == 1)
        let problem = found.first
        #expect(problem?.location.line == 3)
        #expect(problem?.stage == "resampel")
        #expect(problem?.message.contains("unknown stage type 'resampel'") == true)
        #expect(problem?.message.contains("did you mean 'resample'") == true)
        #expect(problem?.description.hasPrefix("graph.yaml:3:") == true)
    }

    @Test func unknownParameterWithSuggestion() {
        let found = problems("""
            stages:
              src:
                type: tone
                frequncy: 440
            """)
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4)
        #expect(found.first?.stage == "src")
        #expect(found.first?.message.contains("unknown parameter 'frequncy'") == true)
        #expect(found.first?.message.contains("did you mean 'frequency'") == true)
    }

    @Test func outOfRangeParameter() {
        let found = problems("chain:\n  - tone\n  - resample: {rate: 5}\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 3)
        #expect(found.first?.stage == "resample")
        #expect(found.first?.message.contains("parameter 'rate'") == true)
        #expect(found.first?.message.contains("out of range") == true)
    }

    @Test func wrongValueType() {
        let found = problems("chain:\n  - tone: {frequency: loud}\n")
        #expect(found.first?.location.line == 2)
        #expect(found.first?.message.contains("expects a number, got 'loud'") == true)
    }

    @Test func missingRequiredParameter() {
        let found = problems("chain:\n  - tone\n  - resample\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 3)
        #expect(found.first?.stage == "resample")
        #expect(found.first?.message.contains("parameter 'rate' is required") == true)
    }

    @Test func missingConnectionNamesPort() {
        let found = problems("""
            stages:
              src: {type: tone}
              meter: {type: level}
            """)
        #expect(found.count == 1)
        #expect(found.first?.location.line == 3)
        #expect(found.first?.stage == "meter")
        #expect(found.first?.port == "in")
        #expect(found.first?.message.contains("not connected") == true)
    }

    @Test func portKindMismatchNamesBothEnds() {
        let found = problems("""
            stages:
              src: {type: tone}
              meter: {type: level, from: src}
              again: {type: level, from: meter}
            """)
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4)
        #expect(found.first?.stage == "again")
        #expect(found.first?.port == "in")
        #expect(found.first?.message.contains("takes audio, but 'meter.out' produces event") == true)
    }

    @Test func sampleRateMismatchSuggestsResample() {
        let found = problems("chain:\n  - tone: {rate: 48000}\n  - needs-16k\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 3)
        #expect(found.first?.stage == "needs-16k")
        #expect(found.first?.port == "speech")
        #expect(found.first?.upstream == "tone")
        #expect(found.first?.message == "needs 16000 Hz audio but receives 48000 Hz; put `resample: {rate: 16000}` before it")
        #expect(found.first?.description == "graph.yaml:3:5: error: stage 'needs-16k' port 'speech' (fed by 'tone'): "
                + "needs 16000 Hz audio but receives 48000 Hz; put `resample: {rate: 16000}` before it")
    }

    /// A cycle is reported once, through its own stages only (not the stages downstream of
    /// it), in the order data flows, at the first of them in the file.
    @Test(arguments: [
        ("stages:\n  a: {type: gain, from: c}\n  b: {type: gain, from: a}\n  c: {type: gain, from: b}\n", "a → b → c", 2),
        ("stages:\n  meter: {type: level, from: b}\n  a: {type: gain, from: b}\n  b: {type: gain, from: a}\n"
            + "  out: {type: jsonl-sink, from: meter}\n", "a → b", 3),
    ])
    func cycleIsReported(yaml: String, through: String, line: Int) {
        let found = problems(yaml)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.message.hasPrefix("the graph has a cycle through \(through); ") == true, "\(found)")
        #expect(found.first?.location.line == line)
    }

    @Test func duplicateStageNames() {
        let found = problems("""
            chain:
              - tone
              - {name: tone, type: gain}
            """)
        #expect(found.contains { $0.location.line == 3 && $0.message.contains("duplicate stage name 'tone'") })
    }

    @Test func duplicateYAMLKeys() {
        let found = problems("""
            stages:
              src: {type: tone}
              src: {type: tone}
            """)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("duplicate name 'src'") == true)
        #expect((found.first?.location.line ?? 0) > 0)
    }

    @Test func unknownSourceStageWithSuggestion() {
        let found = problems("""
            stages:
              source: {type: tone}
              meter: {type: level, from: sauce}
            """)
        #expect(found.first?.port == "in")
        #expect(found.first?.message.contains("no stage named 'sauce' (did you mean 'source'?)") == true)
    }

    @Test func unknownOutputPort() {
        let found = problems("""
            stages:
              source: {type: tone}
              meter: {type: level, from: source.left}
            """)
        #expect(found.first?.message.contains("has no output 'left'") == true)
    }

    @Test func sourceCannotTakeInput() {
        let found = problems("""
            stages:
              a: {type: tone}
              b: {type: tone, from: a}
            """)
        #expect(found.first?.stage == "b")
        #expect(found.first?.message.contains("has no inputs") == true)
    }

    /// Every problem is reported at once, in file order.
    @Test func reportsEveryProblem() {
        let found = problems("""
            stages:
              src: {type: tone, frequency: -3}
              meter: {type: levle, from: src}
              out: {type: jsonl-sink}
              resampler: {type: resample}
            """)
        #expect(found.map(\.location.line) == [2, 3, 4, 5, 5])  // resampler: no rate, no input
    }

    @Test func oneLineChain() throws {
        let spec = try ChainParser.parse("tone rate=48000 duration=0.1 ! resample rate=16000 ! level window=0.05")
        let graph = try GraphValidator(registry: registry).validate(spec)
        #expect(graph.stages.map(\.name) == ["tone", "resample", "level"])
        #expect(graph.stages[2].inputs.map(\.stage) == [1])
        #expect(graph.stages[1].parameters["rate"] == .number(16000))
    }

    @Test func oneLineChainNamesColumn() {
        #expect(throws: GraphError.self) { try ChainParser.parse("tone ! resample 16000") }
        do {
            _ = try ChainParser.parse("tone ! resample 16000")
        } catch let error as GraphError {
            #expect(error.diagnostics.first?.location.column == 17)
            #expect(error.diagnostics.first?.message.contains("expected name=value") == true)
        } catch {}
    }

    @Test func inputPathsAreRelativeToTheGraphFile() throws {
        let spec = try GraphFileParser.parse(yaml: "chain:\n  - file-source: {path: ../audio/a.wav}\n  - level\n",
                                             file: "/projects/x/graphs/g.yaml")
        let graph = try GraphValidator(registry: registry).validate(spec)
        #expect(graph.stages[0].parameters["path"] == .text("/projects/x/graphs/../audio/a.wav"))
    }
}
