import Foundation
import StageKit

/// Checks a written graph against the stage registry before any audio flows: stage types,
/// parameters, output paths, connections, port kinds, cycles and names. Every problem is
/// reported, each with its file, line, stage and port.
public struct GraphValidator: Sendable {
    public let registry: StageRegistry

    public init(registry: StageRegistry) {
        self.registry = registry
    }

    /// Checks `spec`.
    /// - Throws: `GraphError` holding every problem found.
    public func validate(_ spec: GraphSpec) throws -> ValidatedGraph {
        var problems = spec.problems
        let names = uniqueNames(spec, problems: &problems)
        var nodes: [ValidatedGraph.Node?] = spec.stages.map { stage in
            resolveStage(stage, graphFile: spec.file, problems: &problems)
        }
        checkOutputPaths(spec, nodes: nodes, problems: &problems)
        for index in spec.stages.indices {
            guard let node = nodes[index] else { continue }
            nodes[index]!.inputs = connect(spec.stages[index], node: node, nodes: nodes, names: names, problems: &problems)
        }
        let order = topologicalOrder(spec, nodes: nodes, problems: &problems)
        guard problems.isEmpty else {
            throw GraphError(problems.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        // Renumber connections into topological order.
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let stages = order.map { original -> ValidatedGraph.Node in
            var node = nodes[original]!
            node.inputs = node.inputs.map { .init(stage: position[$0.stage]!, port: $0.port) }
            return node
        }
        return ValidatedGraph(file: spec.file, description: spec.description, stages: stages)
    }

    /// Maps each name to its first stage; reports the stages that reuse a name.
    private func uniqueNames(_ spec: GraphSpec, problems: inout [Diagnostic]) -> [String: Int] {
        var names: [String: Int] = [:]
        for (index, stage) in spec.stages.enumerated() {
            if let first = names[stage.name] {
                let firstLine = spec.stages[first].location.line
                problems.append(Diagnostic("duplicate stage name '\(stage.name)' (first used on line \(firstLine)); give one a `name:`",
                                           at: stage.location, stage: stage.name))
            } else {
                names[stage.name] = index
            }
        }
        return names
    }

    /// Finds the stage's type and checks its parameters.
    private func resolveStage(_ stage: StageSpec, graphFile: String, problems: inout [Diagnostic]) -> ValidatedGraph.Node? {
        guard let factory = registry.factory(named: stage.type) else {
            let hint = registry.suggestion(for: stage.type).map { " (did you mean '\($0)'?)" } ?? ""
            problems.append(Diagnostic("unknown stage type '\(stage.type)'\(hint); `sergraph stages` lists them",
                                       at: stage.typeLocation, stage: stage.name))
            return nil
        }
        let info = factory.info
        let problemsBefore = problems.count
        var values: [String: ParameterValue] = [:]
        for written in stage.parameters {
            guard let spec = info.parameter(written.name) else {
                problems.append(Diagnostic(info.unknownParameter(written.name).description, at: written.location, stage: stage.name))
                continue
            }
            switch spec.parse(written.text) {
            case .success(let value): values[spec.name] = resolvePath(value, spec: spec, graphFile: graphFile)
            case .failure(let error):
                problems.append(Diagnostic("parameter '\(spec.name)' \(error)", at: written.location, stage: stage.name))
            }
        }
        for spec in info.parameters where spec.isRequired && values[spec.name] == nil && !stage.hasUnreadableParameters
            && !stage.parameters.contains(where: { $0.name == spec.name }) {
            problems.append(Diagnostic("parameter '\(spec.name)' is required (\(spec.doc))", at: stage.location, stage: stage.name))
        }
        if let check = factory.check, problems.count == problemsBefore {
            do {
                try check(try Parameters(values, specs: info.parameters))
            } catch {
                problems.append(Diagnostic("\(error)", at: stage.location, stage: stage.name))
            }
        }
        return ValidatedGraph.Node(name: stage.name, factory: factory, parameters: values, inputs: [], location: stage.location)
    }

    /// Output paths stay below the output folder, and no two stages write one file.
    private func checkOutputPaths(_ spec: GraphSpec, nodes: [ValidatedGraph.Node?], problems: inout [Diagnostic]) {
        var writers: [String: (stage: String, line: Int)] = [:]
        for (stage, node) in zip(spec.stages, nodes) {
            guard let node else { continue }
            for parameter in node.factory.info.parameters where parameter.type == .outputPath {
                guard case .text(let path)? = node.parameters[parameter.name] ?? parameter.defaultValue else { continue }
                let location = stage.parameters.last { $0.name == parameter.name }?.location ?? stage.location
                if let problem = OutputPathRule.problem(with: path) {
                    problems.append(Diagnostic("parameter '\(parameter.name)' \(problem)", at: location, stage: stage.name))
                    continue
                }
                guard path != "-" else { continue }
                let file = OutputPathRule.normalized(path)
                if let first = writers[file] {
                    problems.append(Diagnostic("writes '\(path)', as stage '\(first.stage)' (line \(first.line)) does; "
                                               + "two stages cannot write one file, so give one of them another `\(parameter.name)`",
                                               at: location, stage: stage.name))
                } else {
                    writers[file] = (stage.name, location.line)
                }
            }
        }
    }

    /// Input paths are relative to the graph file's folder.
    private func resolvePath(_ value: ParameterValue, spec: ParameterSpec, graphFile: String) -> ParameterValue {
        guard spec.type == .inputPath, case .text(let path) = value, !path.isEmpty, !path.hasPrefix("/"),
              graphFile != ChainParser.file else { return value }
        let folder = parentFolder(of: graphFile)
        return .text(folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path))
    }

    /// Resolves the stage's written inputs to output ports, one per input port.
    private func connect(_ stage: StageSpec, node: ValidatedGraph.Node, nodes: [ValidatedGraph.Node?],
                         names: [String: Int], problems: inout [Diagnostic]) -> [ValidatedGraph.Endpoint] {
        let inputs = node.factory.info.inputs
        var endpoints = [ValidatedGraph.Endpoint?](repeating: nil, count: inputs.count)
        var written = Set<Int>()
        if inputs.isEmpty, let first = stage.inputs.first {
            problems.append(Diagnostic("\(node.factory.info.name) has no inputs, so it cannot take `from: \(first.fromStage)`",
                                       at: first.location, stage: stage.name))
            return []
        }
        for connection in stage.inputs {
            func report(_ message: String, port: String? = nil) {
                problems.append(Diagnostic(message, at: connection.location, stage: stage.name, port: port))
            }
            // The input port.
            let inputIndex: Int
            if let portName = connection.port {
                guard let index = inputs.firstIndex(where: { $0.name == portName }) else {
                    report("\(node.factory.info.name) has no input '\(portName)' (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
                    continue
                }
                inputIndex = index
            } else {
                guard inputs.count == 1 else {
                    report("\(node.factory.info.name) has several inputs; connect each by name: from: {\(inputs.map { "\($0.name): <stage>" }.joined(separator: ", "))}")
                    continue
                }
                inputIndex = 0
            }
            let portName = inputs[inputIndex].name
            guard written.insert(inputIndex).inserted else {
                report("input connected twice", port: portName)
                continue
            }
            // The output it comes from.
            guard let sourceIndex = names[connection.fromStage] else {
                let hint = closest(to: connection.fromStage, among: names.keys).map { " (did you mean '\($0)'?)" } ?? ""
                report("no stage named '\(connection.fromStage)'\(hint)", port: portName)
                continue
            }
            guard let source = nodes[sourceIndex] else { continue }  // its type is unknown, reported already
            let outputs = source.factory.info.outputs
            let outputIndex: Int
            if let fromPort = connection.fromPort {
                guard let index = outputs.firstIndex(where: { $0.name == fromPort }) else {
                    report("stage '\(source.name)' has no output '\(fromPort)' (outputs: \(outputs.map(\.name).joined(separator: ", ")))", port: portName)
                    continue
                }
                outputIndex = index
            } else {
                guard outputs.count == 1 else {
                    report(outputs.isEmpty ? "stage '\(source.name)' (\(source.factory.info.name)) has no outputs"
                           : "stage '\(source.name)' has several outputs; name one: \(outputs.map { "\(source.name).\($0.name)" }.joined(separator: ", "))",
                           port: portName)
                    continue
                }
                outputIndex = 0
            }
            let produced = outputs[outputIndex].kinds
            guard !Set(inputs[inputIndex].kinds).isDisjoint(with: produced) else {
                report("takes \(inputs[inputIndex].kinds.map(\.rawValue).joined(separator: " or ")), but '\(source.name).\(outputs[outputIndex].name)' produces \(produced.map(\.rawValue).joined(separator: " or "))",
                       port: portName)
                continue
            }
            endpoints[inputIndex] = .init(stage: sourceIndex, port: outputIndex)
        }
        for index in inputs.indices where !written.contains(index) {
            problems.append(Diagnostic("input is not connected; add `from: <stage>`", at: stage.location,
                                       stage: stage.name, port: inputs[index].name))
        }
        let resolved = endpoints.compactMap { $0 }
        return resolved.count == endpoints.count ? resolved : []
    }

    /// Orders stages so each follows its inputs (Kahn's algorithm); reports cycles.
    private func topologicalOrder(_ spec: GraphSpec, nodes: [ValidatedGraph.Node?], problems: inout [Diagnostic]) -> [Int] {
        var pending = nodes.map { $0?.inputs.count ?? 0 }
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in node?.inputs ?? [] { readers[input.stage].append(index) }
        }
        var ready = nodes.indices.filter { pending[$0] == 0 }
        var order: [Int] = []
        while let next = ready.first {
            ready.removeFirst()
            order.append(next)
            for reader in readers[next] {
                pending[reader] -= 1
                if pending[reader] == 0 { ready.append(reader) }
            }
        }
        if order.count < nodes.count {
            reportCycles(spec, nodes: nodes, unordered: Set(nodes.indices).subtracting(order), problems: &problems)
        }
        return order
    }

    /// Reports each stage that takes its own output, and each other cycle once, as the stages
    /// on it in the order data would flow (stages merely downstream of a cycle are left out).
    private func reportCycles(_ spec: GraphSpec, nodes: [ValidatedGraph.Node?], unordered: Set<Int>,
                              problems: inout [Diagnostic]) {
        for index in unordered.sorted() where nodes[index]?.inputs.contains(where: { $0.stage == index }) == true {
            problems.append(Diagnostic("takes its own output (from: \(spec.stages[index].name)); data must flow one way",
                                       at: spec.stages[index].location, stage: spec.stages[index].name))
        }
        var explained = Set<Int>()
        for start in unordered.sorted() where !explained.contains(start) {
            // Walk upstream through inputs that are themselves stuck, until a stage comes round again.
            var path = [start]
            while let feeder = nodes[path.last!]?.inputs.first(where: { unordered.contains($0.stage) && $0.stage != path.last! })?.stage,
                  !explained.contains(feeder) {
                if let repeated = path.firstIndex(of: feeder) {
                    let cycle = Array(path[repeated...].reversed())
                    let first = cycle.indices.min { cycle[$0] < cycle[$1] }!
                    let names = (cycle[first...] + cycle[..<first]).map { spec.stages[$0].name }
                    problems.append(Diagnostic("the graph has a cycle through \(names.joined(separator: " → ")); data must flow one way",
                                               at: spec.stages[cycle[first]].location, stage: names[0]))
                    break
                }
                path.append(feeder)
            }
            explained.formUnion(path)
        }
    }
}
