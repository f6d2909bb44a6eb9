import Foundation
import StageKit

/// Answers control requests for one running pipeline (`sergraph run`): status, model swaps,
/// live parameters; a refused swap is also reported on standard error (through `report`) and
/// as an `error` event to the graph's event sinks.
public final class PipelineController: @unchecked Sendable {
    private let pipeline: Pipeline
    private let report: @Sendable (String) -> Void
    private let runStatus: @Sendable () -> [String: Any]
    /// Serialises swaps, so two requests for one stage cannot interleave.
    private let swapping = NSLock()

    /// A controller for `pipeline`; `runStatus` adds the run's own figures (xruns, queues) to
    /// `status`, `report` tells the operator what went wrong.
    public init(pipeline: Pipeline, report: @escaping @Sendable (String) -> Void,
                runStatus: @escaping @Sendable () -> [String: Any] = { [:] }) {
        self.pipeline = pipeline
        self.report = report
        self.runStatus = runStatus
    }

    /// The answer to one request (see `ControlSocket`).
    public func handle(_ request: [String: Any]) -> [String: Any] {
        do {
            switch request["command"] as? String {
            case "status": return try status()
            case "swap":
                let (stage, model) = try (field("stage", of: request), field("model", of: request))
                return answer(try swap(stage: stage, folder: model))
            case "set":
                let (stage, parameter, value) = try (field("stage", of: request), field("parameter", of: request), field("value", of: request))
                try pipeline.setParameter(stage: stage, parameter, to: value)
                return ["ok": true, "stage": stage, "parameter": parameter, "value": value]
            case "reload": return ["ok": true, "reloaded": reloadAll().map(answer)]
            default:
                throw ControlError("unknown command \(String(describing: request["command"] ?? "missing")); commands: status, swap, set, reload")
            }
        } catch {
            return ["ok": false, "error": "\(error)"]
        }
    }

    /// Swaps `folder` into `stage`; a refusal is reported before it is thrown.
    public func swap(stage: String, folder: String) throws -> SwapOutcome {
        try swapping.withLock {
            do {
                return try pipeline.swapModel(stage: stage, to: folder)
            } catch {
                report("error: \(error)")
                pipeline.reportError(stage: stage, "\(error)")
                throw error
            }
        }
    }

    /// Loads every swappable stage's model again from its folder (SIGHUP); a folder that no
    /// longer holds a valid model is reported and its old model kept.
    @discardableResult
    public func reloadAll() -> [(stage: String, outcome: Result<SwapOutcome, Error>)] {
        guard let stages = try? pipeline.status().stages else { return [] }
        return stages.compactMap { stage in
            guard let model = stage.model else { return nil }
            return (stage.name, Result { try swap(stage: stage.name, folder: model.path) })
        }
    }

    private func status() throws -> [String: Any] {
        let (stages, longestStep) = try pipeline.status()
        let modelStages = stages.filter { $0.model != nil }
        let windowsIn = modelStages.map(\.rowsIn).reduce(0, +), windowsOut = modelStages.map(\.rowsOut).reduce(0, +)
        var answer: [String: Any] = [
            "ok": true,
            "stages": stages.map { stage -> [String: Any] in
                var item: [String: Any] = ["name": stage.name, "type": stage.type, "blocks": stage.blocksIn,
                                           "rows_in": stage.rowsIn, "rows_out": stage.rowsOut]
                if let model = stage.model { item["model"] = Self.describe(model) }
                if let seconds = stage.swapToFirstRow { item["swap_to_first_window_ms"] = milliseconds(seconds) }
                return item
            },
            "windows_in": windowsIn, "windows_out": windowsOut, "dropped_windows": windowsIn - windowsOut,
            "longest_step_ms": milliseconds(longestStep),
        ]
        answer.merge(runStatus()) { $1 }
        return answer
    }

    private func answer(_ outcome: SwapOutcome) -> [String: Any] {
        ["ok": true, "model": Self.describe(outcome.model), "windows_before": outcome.windowsBefore,
         "milliseconds": milliseconds(outcome.seconds), "load_ms": milliseconds(outcome.loadSeconds),
         "handoff_ms": milliseconds(outcome.handoffSeconds)]
    }

    private func answer(_ item: (stage: String, outcome: Result<SwapOutcome, Error>)) -> [String: Any] {
        switch item.outcome {
        case .success(let outcome): return answer(outcome).merging(["stage": item.stage]) { $1 }
        case .failure(let error): return ["ok": false, "stage": item.stage, "error": "\(error)"]
        }
    }

    static func describe(_ model: ModelRegistry.Entry) -> [String: Any] {
        ["path": model.path, "hash": model.contentHash, "loaded_at": ISO8601DateFormatter().string(from: model.loadedAt)]
    }
}

/// `seconds` in milliseconds, to the microsecond.
private func milliseconds(_ seconds: Double) -> Double { (seconds * 1e6).rounded() / 1e3 }

/// The text field `name` of a request.
func field(_ name: String, of request: [String: Any]) throws -> String {
    guard let value = request[name] as? String else { throw ControlError("the request needs \"\(name)\" (a string)") }
    return value
}
