import Foundation
import StageKit

/// A control request that cannot be carried out, worded for the person who asked.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// What one stage has done so far, for `sergraph ctl status`.
public struct StageStatus: Sendable {
    public var name: String
    public var type: String
    /// Blocks and rows (windows, frames or samples) received on all inputs.
    public var blocksIn: Int, rowsIn: Int
    /// Rows emitted on the first output.
    public var rowsOut: Int
    /// The model in use, for stages whose model can be swapped.
    public var model: ModelRegistry.Entry?
    /// Seconds from the last swap's request to the first row the new model emitted.
    public var swapToFirstRow: Double?
}

/// What a model swap did.
public struct SwapOutcome: Sendable {
    /// The model now running.
    public var model: ModelRegistry.Entry
    /// Windows (rows on its first output) the stage had emitted when the new model took over: the
    /// first window the new model answered is the one after these (counting from 1).
    public var windowsBefore: Int
    /// How long the swap took from the request to the new model's installation.
    public var seconds: Double
    /// Of which: loading and checking the model (and the stages downstream) off the audio path,
    /// then waiting for the graph's thread to reach the end of a block and install it.
    public var loadSeconds: Double, handoffSeconds: Double
}

/// Changing a running pipeline from another thread: each change is checked first (off the
/// audio path), then carried out by the pipeline's own thread between two blocks.
extension Pipeline {
    /// How long a request waits for the pipeline's thread to reach the end of a block.
    public static let controlTimeout = 10.0

    /// Every stage's counters and model, and the longest a block took to pass through the
    /// stages (seconds) since the last call, taken between two blocks.
    /// - Throws: `ControlError` when the pipeline has ended.
    public func status() throws -> (stages: [StageStatus], longestStep: Double) {
        try onPipelineThread {
            defer { self.longestStep = 0 }
            return (self.graph.stages.indices.map { index in
                StageStatus(name: self.graph.stages[index].name, type: self.graph.stages[index].factory.info.name,
                            blocksIn: self.blocksIn[index], rowsIn: self.rowsIn[index], rowsOut: self.rowsOut[index],
                            model: self.swappers[index]?.model, swapToFirstRow: self.swapToFirstRow[index])
            }, Double(self.longestStep) / 1e9)
        }
    }

    /// Loads and checks the model in `folder` on the calling thread, then installs it in stage
    /// `stage` between two blocks; the model it replaces is released on the calling thread.
    /// - Throws: `ControlError` naming what is wrong: the stage, the model (file, tensor,
    ///   setting), or a format downstream stages cannot take (other labels only where every stage
    ///   reading them follows, see `LabelFollowing`). The old model keeps running.
    public func swapModel(stage name: String, to folder: String) throws -> SwapOutcome {
        let started = Date(), requested = DispatchTime.now().uptimeNanoseconds
        let index = try stageIndex(name)
        guard let swapping = swappers[index] else {
            throw ControlError("stage '\(name)' (\(graph.stages[index].factory.info.name)) has no model to swap")
        }
        guard formats.count == graph.stages.count else { throw ControlError("the graph has not agreed its formats yet") }
        let prepared: PreparedModel
        do {
            prepared = try swapping.loadModel(from: folder, models: models)
        } catch {
            throw ControlError("stage '\(name)': model \(folder) refused: \(error); the old model keeps running")
        }
        let changes = try formatChanges(from: index, outputs: prepared.outputs)
        let checked = Date()
        let (replaced, windows) = try onPipelineThread { () -> (PreparedModel, Int) in
            self.swapRequested[index] = requested
            self.swapToFirstRow[index] = nil
            let replaced = swapping.install(prepared)
            for relabel in changes.relabels { relabel.stage.follow(relabel.format, port: relabel.port) }
            for (stage, outputs) in changes.formats { self.formats[stage] = outputs }
            return (replaced, self.rowsOut[index])
        }
        let installed = Date()
        if replaced.entry != prepared.entry { models.release(replaced.entry) }
        return SwapOutcome(model: prepared.entry, windowsBefore: windows, seconds: installed.timeIntervalSince(started),
                           loadSeconds: checked.timeIntervalSince(started), handoffSeconds: installed.timeIntervalSince(checked))
    }

    /// Sets live parameter `parameter` of stage `stage` to `value` (as a graph file writes it)
    /// between two blocks, after the checks a graph file gets.
    /// - Throws: `ControlError` with the graph file's message, or the stage's refusal.
    public func setParameter(stage name: String, _ parameter: String, to value: String) throws {
        let index = try stageIndex(name)
        do {
            _ = try graph.stages[index].factory.info.liveValue(parameter, value)
        } catch {
            throw ControlError("stage '\(name)': \(error)")
        }
        try onPipelineThread {
            guard let processor = self.processors.indices.contains(index) ? self.processors[index] : nil else {
                throw ControlError("the graph has ended")
            }
            do {
                try processor.control(parameter, value: value)
            } catch {
                throw ControlError("stage '\(name)': \(error)")
            }
        }
    }

    /// The model folders of the stages with `watch: true`, with the files each needs complete.
    public var watchedModelFolders: [(stage: String, folder: String, files: [String])] {
        graph.stages.indices.compactMap { index in
            let node = graph.stages[index]
            guard let swapping = swappers[index], case .flag(true)? = node.parameters["watch"],
                  case .text(let folder)? = node.parameters["model"] else { return nil }
            return (node.name, folder, type(of: swapping).modelFiles)
        }
    }

    /// Sends an `error` event saying `message` about stage `stage` to every sink that takes
    /// events, between two blocks, at the latest block time the stage feeding it has received. A sink that fails to take
    /// it is left alone (the run reports its own failures).
    public func reportError(stage: String, _ message: String) {
        _ = mailbox.post({
            for (index, node) in self.graph.stages.enumerated() where node.factory.info.outputs.isEmpty {
                for (port, input) in node.inputs.enumerated()
                where self.formats.indices.contains(input.stage) && self.formats[input.stage][input.port].kind == .event {
                    let event = Event(time: self.latestTime[input.stage], name: "error",
                                      fields: [.init("stage", .text(stage)), .init("message", .text(message))])
                    guard self.processors.indices.contains(index) else { return }
                    try? self.processors[index].process(Block(events: [event]), port: port, output: self.emitters[index])
                }
            }
        }, refuse: {})
    }

    /// What a swap changes downstream: the stages that take other labels, and every stage's new
    /// output formats (the swapped stage's included).
    private struct FormatChanges {
        var relabels: [(stage: any LabelFollowing, port: Int, format: StreamFormat)] = []
        var formats: [Int: [StreamFormat]] = [:]
    }

    /// Follows `outputs`, stage `index`'s formats with a new model, through the stages that read
    /// them. Only labels may change (a posterior's width with them), and only where every stage
    /// reading them takes other labels (`LabelFollowing`), and so on downstream.
    /// - Throws: `ControlError` naming the port and the stage that cannot take the change.
    private func formatChanges(from index: Int, outputs: [StreamFormat]) throws -> FormatChanges {
        let swapped = graph.stages[index].name
        func refuse(_ reason: String) -> ControlError {
            ControlError("stage '\(swapped)': \(reason); the old model keeps running")
        }
        var changes = FormatChanges()
        changes.formats[index] = outputs
        var pending = [(stage: index, outputs: outputs)]
        while let (stage, produced) = pending.popLast() {
            for (port, format) in produced.enumerated() where formats[stage].indices.contains(port) {
                let agreed = formats[stage][port], readers = routes[stage][port]
                guard format != agreed, !readers.isEmpty else { continue }
                let node = graph.stages[stage]
                let place = "on port '\(node.factory.info.outputs[port].name)'" + (stage == index ? "" : " of '\(node.name)'")
                let relabelled = StreamFormat(kind: agreed.kind, sampleRate: agreed.sampleRate, width: format.labels.count,
                                              hop: agreed.hop, labels: format.labels, settings: agreed.settings)
                guard format.labels != agreed.labels, agreed.kind == .posterior, format == relabelled else {
                    let names = readers.map { "'\(graph.stages[$0.stage].name)'" }.joined(separator: ", ")
                    throw refuse("the new model gives \(format) instead of \(agreed) \(place), which \(names) agreed at the start; "
                                 + "only labels can change while running")
                }
                let change = "labels (\(format.labels.joined(separator: ", "))) instead of (\(agreed.labels.joined(separator: ", "))) \(place)"
                for reader in readers {
                    let readerNode = graph.stages[reader.stage]
                    let named = "stage '\(readerNode.name)' (\(readerNode.factory.info.name))"
                    guard let follower = followers[reader.stage] else {
                        throw refuse("the new model gives \(change), and \(named) cannot take other labels while running")
                    }
                    let followed: [StreamFormat]
                    do {
                        followed = try follower.outputs(following: format, port: reader.port)
                    } catch {
                        throw refuse("the new model gives \(change), which \(named) refuses: \(error)")
                    }
                    changes.relabels.append((follower, reader.port, format))
                    changes.formats[reader.stage] = followed
                    pending.append((reader.stage, followed))
                }
            }
        }
        return changes
    }

    private func stageIndex(_ name: String) throws -> Int {
        guard let index = graph.stages.firstIndex(where: { $0.name == name }) else {
            let hint = closest(to: name, among: graph.stages.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
            throw ControlError("no stage '\(name)' in the graph\(hint); it has \(graph.stages.map(\.name).joined(separator: ", "))")
        }
        return index
    }

    /// Runs `body` on the pipeline's thread between two blocks and waits for its result.
    private func onPipelineThread<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let posted = mailbox.post({
            box.result = Result { try body() }
            done.signal()
        }, refuse: {
            box.result = .failure(ControlError("the graph has ended"))
            done.signal()
        })
        guard posted else { throw ControlError("the graph has ended") }
        guard done.wait(timeout: .now() + Self.controlTimeout) == .success else {
            throw ControlError("the graph did not finish a block within \(Int(Self.controlTimeout)) s")
        }
        guard let result = box.result else { throw ControlError("the graph has ended") }
        return try result.get()
    }
}

/// A result handed from the pipeline's thread to the waiting one (the semaphore orders them).
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
