import SERGraph
import StageKit
import Stages
import Testing

/// A source with one output of every stream kind, to connect any stage's inputs in a graph file.
private final class Feed: SourceStage {
    static let info = StageInfo(name: "feed", summary: "Feeds every kind of stream.",
                                outputs: StreamKind.allCases.map { PortSpec($0.rawValue, $0, doc: "a stream") })
    init(parameters: Parameters, context: StageContext) throws {}
    func produce(output: Output) throws -> Bool { false }
}

/// Every parameter every built-in stage declares goes the whole way: its typed declaration
/// becomes the stage's `StageInfo`, a graph file gives it a value that the graph validator
/// checks, and the stage reads it back through the declaration with the value written
/// (numbers at both ends of their range, every word of a choice, both flags). Values past a
/// range or outside a choice are refused with a graph file's message, and `ctl set` of a
/// parameter not declared live is refused naming the live ones.
///
/// That a misspelt parameter name cannot be read is a compile-time property of the typed
/// declarations (`parameters[Self.db]`: there is no string-keyed read), so no test states it.
@Suite struct ParameterRoundTripTests {
    /// The built-in stages, without their validation-time model checks (the paths written
    /// here name no model).
    static let builtins = BuiltinStages.all().map { StageFactory(info: $0.info, origin: $0.origin, make: $0.make) }
    static let registry = StageRegistry(builtins + [StageFactory(Feed.self, origin: "test")])

    /// The values written for `spec`: the ends and the middle of a range, every choice, both flags.
    static func samples(_ spec: ParameterSpec) -> [String] {
        switch spec.type {
        case .integer:
            guard let range = spec.range else { return ["0", "7"] }
            return [range.lowerBound, ((range.lowerBound + range.upperBound) / 2).rounded(.down), range.upperBound].map { String(Int($0)) }
        case .number:
            guard let range = spec.range else { return ["-2.5", "0", "3"] }
            return [range.lowerBound, (range.lowerBound + range.upperBound) / 2, range.upperBound].map(\.formatted)
        case .flag: return ["true", "false"]
        case .choice(let words): return words
        case .text: return ["some text"]
        case .inputPath: return ["/srv/round-trip/input"]
        case .outputPath: return ["round-trip-" + spec.name + ".out"]
        }
    }

    /// What reading `text` back must give, worked out apart from the parameter code.
    static func expected(_ text: String, _ spec: ParameterSpec) -> ParameterValue? {
        switch spec.type {
        case .integer: return Int(text).map(ParameterValue.integer)
        case .number: return Double(text).map(ParameterValue.number)
        case .flag: return .flag(text == "true")
        case .choice, .text, .inputPath, .outputPath: return .text(text)
        }
    }

    /// A graph feeding a stage of type `info` from `feed`, with `written` parameters.
    static func graph(_ info: StageInfo, _ written: [(String, String)]) -> String {
        let inputs = info.inputs.map { "\($0.name): feed.\($0.kinds[0].rawValue)" }.joined(separator: ", ")
        let from = info.inputs.isEmpty ? "" : ", from: {\(inputs)}"
        let values = written.map { ", \($0.0): \"\($0.1)\"" }.joined()
        return "stages:\n  feed: {type: feed}\n  under: {type: \(info.name)\(from)\(values)}\n"
    }

    /// The values a graph file must give because they have no default.
    static func required(_ info: StageInfo) -> [(String, String)] {
        info.parameters.filter(\.isRequired).map { ($0.name, samples($0)[0]) }
    }

    @Test(arguments: builtins.map(\.info.name))
    func everyParameterRoundTrips(stage: String) throws {
        let info = try #require(Self.registry.factory(named: stage)).info
        #expect(info.declarations.count == info.parameters.count)
        #expect(Set(info.parameters.map(\.name)).count == info.parameters.count, "two parameters share a name")
        for spec in info.parameters {
            for text in Self.samples(spec) {
                let written = Self.required(info).filter { $0.0 != spec.name } + [(spec.name, text)]
                let validated = try GraphValidator(registry: Self.registry).validate(
                    GraphFileParser.parse(yaml: Self.graph(info, written), file: "round-trip.yaml"))
                let node = try #require(validated.stages.first { $0.name == "under" })
                let parameters = try Parameters(node.parameters, specs: info.parameters)
                for declaration in info.declarations {
                    let given = written.last { $0.0 == declaration.spec.name }
                    let wanted = given.map { Self.expected($0.1, declaration.spec) } ?? declaration.spec.defaultValue
                    #expect(declaration.value(in: parameters) == wanted,
                            "\(stage).\(declaration.spec.name) read back after \(spec.name) = \(text)")
                }
            }
        }
    }

    @Test(arguments: builtins.map(\.info.name))
    func valuesOutsideTheDeclarationAreRefusedAsInAGraphFile(stage: String) throws {
        let info = try #require(Self.registry.factory(named: stage)).info
        for spec in info.parameters {
            var refused: [(text: String, message: String)] = []
            if let range = spec.range {
                let step = spec.type == .integer ? 1 : max(1, abs(range.upperBound) / 10)
                for outside in [range.lowerBound - step, range.upperBound + step] {
                    let text = spec.type == .integer ? String(Int(outside)) : outside.formatted
                    refused.append((text, "parameter '\(spec.name)' = \(text) is out of range \(range.lowerBound.formatted)...\(range.upperBound.formatted)"))
                }
            }
            if case .choice(let words) = spec.type {
                refused.append(("nonsense", "parameter '\(spec.name)' expects one of \(words.joined(separator: ", ")), got 'nonsense'"))
            }
            for (text, message) in refused {
                let yaml = Self.graph(info, Self.required(info).filter { $0.0 != spec.name } + [(spec.name, text)])
                let error = #expect(throws: GraphError.self) {
                    try GraphValidator(registry: Self.registry).validate(GraphFileParser.parse(yaml: yaml, file: "round-trip.yaml"))
                }
                #expect(error?.diagnostics.map(\.message) == [message], "\(stage).\(spec.name) = \(text)")
                #expect(error?.diagnostics.first?.stage == "under")
            }
        }
    }

    /// `ctl set` checks with `StageInfo.liveValue`: live parameters take every value a graph
    /// file could give; the others are refused, listing the live ones (or saying there are none).
    @Test(arguments: builtins.map(\.info.name))
    func onlyLiveParametersChangeWhileRunning(stage: String) throws {
        let info = try #require(Self.registry.factory(named: stage)).info
        let live = info.parameters.filter(\.live).map(\.name)
        for spec in info.parameters {
            let text = Self.samples(spec)[0]
            if spec.live {
                #expect(try info.liveChange(spec.name, text).value == Self.expected(text, spec))
            } else {
                let error = #expect(throws: ParameterError.self) { try info.liveChange(spec.name, text) }
                let list = live.isEmpty ? "it has no live parameters" : "live: " + live.joined(separator: ", ")
                #expect(error?.description == "parameter '\(spec.name)' of \(stage) cannot change while the stage runs; \(list)")
            }
        }
    }

    /// The live parameters the README names are the ones declared live.
    @Test func theLiveParametersAreThoseDeclared() throws {
        let live = { (stage: String) in Self.registry.factory(named: stage)?.info.liveParameters.map(\.name) }
        #expect(live("smoother") == ["alpha", "margin", "dwell"])
        #expect(live("gain") == ["db"])
        #expect(live("resample") == [])
    }
}
