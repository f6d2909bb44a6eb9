import Foundation
import StageKit

/// Answers control requests for a batch (`sergraph process`): a swap or a setting takes effect
/// at a file boundary, from the next input to start; inputs under way keep what they started with.
public final class BatchController: @unchecked Sendable {
    private let graph: ValidatedGraph
    private let changes: BatchChanges
    private let models: ModelRegistry

    /// A controller for the batch running `graph` with `changes`.
    public init(graph: ValidatedGraph, changes: BatchChanges, models: ModelRegistry = .shared) {
        self.graph = graph
        self.changes = changes
        self.models = models
    }

    /// The answer to one request (see `ControlSocket`).
    public func handle(_ request: [String: Any]) -> [String: Any] {
        do {
            switch request["command"] as? String {
            case "status":
                let progress = changes.progress
                return ["ok": true, "inputs_started": progress.started, "inputs_ended": progress.ended,
                        "stages": graph.stages.map { ["name": $0.name, "type": $0.factory.info.name] },
                        "models": models.entries.map(PipelineController.describe),
                        "changes": changes.current.mapValues { $0.mapValues(\.description) }]
            case "swap":
                let (stage, folder) = try (field("stage", of: request), field("model", of: request))
                let node = try self.node(stage)
                guard let spec = node.factory.info.parameter("model"), spec.type == .inputPath else {
                    throw ControlError("stage '\(stage)' (\(node.factory.info.name)) has no model to swap")
                }
                try check(node, with: ["model": .text(folder)])
                changes.set(stage: stage, "model", to: .text(folder))
                return ["ok": true, "stage": stage, "model": folder, "applies_from": "the next input to start"]
            case "set":
                let (stage, parameter, text) = try (field("stage", of: request), field("parameter", of: request), field("value", of: request))
                let node = try self.node(stage)
                let value: ParameterValue
                do {
                    value = try node.factory.info.liveValue(parameter, text)
                } catch {
                    throw ControlError("stage '\(stage)': \(error)")
                }
                changes.set(stage: stage, parameter, to: value)
                return ["ok": true, "stage": stage, "parameter": parameter, "value": text, "applies_from": "the next input to start"]
            default:
                throw ControlError("unknown command \(String(describing: request["command"] ?? "missing")); commands: status, swap, set")
            }
        } catch {
            return ["ok": false, "error": "\(error)"]
        }
    }

    /// Makes the stage with `values` changed (loading its model through the registry), so
    /// that a broken model is refused now rather than failing every later input.
    private func check(_ node: ValidatedGraph.Node, with values: [String: ParameterValue]) throws {
        do {
            let merged = node.parameters.merging(changes.current[node.name] ?? [:]) { $1 }.merging(values) { $1 }
            let parameters = try Parameters(merged, specs: node.factory.info.parameters)
            try node.factory.check?(parameters)
            let context = StageContext(stageName: node.name, outputs: OutputFiles(), models: models)
            try node.factory.make(parameters, context).close()
        } catch {
            throw ControlError("stage '\(node.name)': \(error); the inputs keep the model they had")
        }
    }

    private func node(_ name: String) throws -> ValidatedGraph.Node {
        guard let node = graph.stages.first(where: { $0.name == name }) else {
            throw ControlError("no stage '\(name)' in the graph; it has \(graph.stages.map(\.name).joined(separator: ", "))")
        }
        return node
    }
}
