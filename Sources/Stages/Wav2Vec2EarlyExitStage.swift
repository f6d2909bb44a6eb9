import Foundation
import Neural
import StageKit

/// Emotion posteriors from a self-distilled wav2vec2 / HuBERT folder (`sergraph train
/// selfdistill`: the encoder checkpoint and its exit heads), per window of audio, from the exit
/// chosen for that window: a fixed layer, the first confident exit, or the deepest that fits a
/// CPU budget. The encoder stops at the exit, so a shallower exit costs less.
///
/// A sibling of `wav2vec2-encoder` (embeddings) and `wav2vec2-classifier` (a Hugging Face
/// head over the whole encoder) rather than a mode of either: its model is the exit folder,
/// it decides per window how deep to go, and it says which exit answered. Its model can be
/// swapped while running (`sergraph ctl swap`, `watch: true`): the next window meets it.
public final class Wav2Vec2EarlyExitStage: Stage, ModelSwapping {
    public static let model = Parameter<String>("model", path: .input,
                                                doc: "folder with config.json, model.safetensors, exits.json and exits.safetensors")
    public static let window = Parameter<Double>("window", default: 1, range: 0...3600, unit: "s",
                                                 doc: "audio per decision; 0 means one decision per stream, encoded in one pass (clips: memory grows with its square)")
    public static let hop = Parameter<Double>("hop", default: 0.25, range: 0.01...3600, unit: "s", doc: "time between windows")
    public static let exit = Parameter<String>("exit", default: "last", live: true,
                                               doc: "an exit layer of the model (e.g. 8), last (the deepest), auto (first exit confident enough) or budget (deepest inside exit-budget)")
    public static let threshold = Parameter<Double>("exit-threshold", default: 0.9, range: 0...1, live: true,
                                                    doc: "exit: auto: the confidence an exit must reach to answer")
    public static let confidence = Parameter<ExitConfidence>("exit-confidence", default: .max, live: true,
                                                             doc: "exit: auto: max (largest posterior) or entropy (1 − entropy / ln classes)")
    public static let budget = Parameter<Double>("exit-budget", default: 0.05, range: 0.000001...3600, unit: "s", live: true,
                                                 doc: "exit: budget: CPU time per window (of the graph's thread) the exit must keep inside")

    public static let info = StageInfo(
        name: "wav2vec2-early-exit",
        summary: "Class posteriors from a self-distilled wav2vec 2.0 / HuBERT folder's early exits, the exit chosen per window (layer, confidence or CPU budget).",
        inputs: [PortSpec("in", .audio, doc: "16 kHz mono audio")],
        outputs: [PortSpec("out", .posterior, doc: "one row of class probabilities per window, from the exit used"),
                  PortSpec("exit", .event, doc: "one `exit` event per window: layer (the exit used), label, confidence, cpu (seconds)")],
        parameters: [model, ModelWatch.parameter, window, hop, exit, threshold, confidence, budget, Wav2Vec2Stage.precision])

    private let modelPath: String
    private let models: ModelRegistry
    private let precision: Precision
    private let windowSeconds: Double
    private let hopSeconds: Double
    private let clock: () -> Double
    private var policyText: String
    private var threshold: Double
    private var confidence: ExitConfidence
    private var budgetSeconds: Double
    private var running: Running?
    private var window = 0
    private var hop = 0
    private var pending: [Float] = []
    private var pendingTime: Int64 = 0
    private var continuity = StreamContinuity()

    public convenience init(parameters: Parameters, context: StageContext) throws {
        self.init(model: parameters[Self.model], models: context.models, window: parameters[Self.window], hop: parameters[Self.hop],
                  exit: parameters[Self.exit], threshold: parameters[Self.threshold], confidence: parameters[Self.confidence],
                  budget: parameters[Self.budget], precision: parameters[Wav2Vec2Stage.precision])
    }

    /// The stage with its parameters' values; `clock` gives the CPU seconds the budget
    /// selection measures (this thread's by default; tests inject their own).
    init(model: String, models: ModelRegistry, window: Double, hop: Double, exit: String, threshold: Double,
         confidence: ExitConfidence, budget: Double, precision: Precision, clock: @escaping () -> Double = CPUClock.threadSeconds) {
        modelPath = model
        self.models = models
        windowSeconds = window
        hopSeconds = hop
        policyText = exit
        self.threshold = threshold
        self.confidence = confidence
        budgetSeconds = budget
        self.precision = precision
        self.clock = clock
    }

    /// At validation: loads the model (encoder and heads) into the shared registry and checks
    /// `exit` against its exit layers, so a broken folder or a layer without an exit is
    /// reported at the stage's line.
    @Sendable static func check(_ parameters: Parameters) throws {
        let model = try model(at: parameters[Self.model], precision: parameters[Wav2Vec2Stage.precision], models: .shared).model
        _ = try ExitPolicy(parameters[Self.exit], exits: model.exits)
    }

    static func model(at path: String, precision: Precision, models: ModelRegistry) throws -> (model: EarlyExitModel, entry: ModelRegistry.Entry) {
        guard EarlyExitModel.isExitFolder(path) else {
            throw StageError.failed("\(path) has no exits.json: not a self-distilled folder (`sergraph train selfdistill` writes one); "
                                    + "use wav2vec2-encoder or wav2vec2-classifier for a plain checkpoint")
        }
        return try models.model(at: path, variant: "wav2vec2 exits \(precision.rawValue)") {
            try EarlyExitModel(folder: $0, precision: precision)
        }
    }

    /// A model in use with what depends on it: the exit policy checked against its exits and
    /// the budget's per-exit costs.
    private struct Running {
        var model: EarlyExitModel
        var entry: ModelRegistry.Entry
        var policy: ExitPolicy
        var budget: ExitBudget
    }

    /// The model in `path` ready to run with this stage's settings; a budget measured on another
    /// model keeps its measured speed of the machine.
    private func running(_ path: String, models: ModelRegistry, measured: ExitBudget? = nil) throws -> Running {
        let (model, entry) = try Self.model(at: path, precision: precision, models: models)
        let costs = model.costs(samples: window > 0 ? window : 16000)
        return Running(model: model, entry: entry, policy: try ExitPolicy(policyText, exits: model.exits),
                       budget: measured.map { $0.rescaled(to: costs) } ?? ExitBudget(costs: costs))
    }

    private func outputs(_ model: EarlyExitModel) -> [StreamFormat] {
        var posterior = StreamFormat.posterior(labels: model.labels, hop: window > 0 ? hop : 1, sampleRate: 16000)
        if window > 0 { posterior.settings["window.span"] = String(window) }
        return [posterior, .event(sampleRate: 16000, fields: ["layer", "label", "confidence", "cpu"])]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(sampleRate: 16000, port: "in")
        try inputs[0].require(channels: 1, port: "in")
        window = Int(windowSeconds * 16000)
        hop = Int(hopSeconds * 16000)
        let running = try running(modelPath, models: models)
        self.running = running
        return outputs(running.model)
    }

    public var model: ModelRegistry.Entry? { running?.entry }

    /// The encoder checkpoint's files and the heads'.
    public static let modelFiles = Wav2Vec2Stage.modelFiles + ["exits.json", "exits.safetensors"]

    /// Loads the self-distilled folder `folder` and checks the `exit` in force against its exits;
    /// the next window, and every later one, runs on it.
    public func loadModel(from folder: String, models: ModelRegistry) throws -> PreparedModel {
        guard let current = running else { throw StageError.failed("the model is loaded before formats are agreed") }
        let next = try running(folder, models: models, measured: current.budget)
        return PreparedModel(entry: next.entry, outputs: outputs(next.model), payload: next)
    }

    public func install(_ prepared: PreparedModel) -> PreparedModel {
        guard var next = prepared.payload as? Running, let replaced = running else { return prepared }
        // An `exit` set while the model loaded holds if the new model has that exit.
        if let policy = try? ExitPolicy(policyText, exits: next.model.exits) { next.policy = policy }
        policyText = next.policy.description
        running = next
        return PreparedModel(entry: replaced.entry, outputs: outputs(replaced.model), payload: replaced)
    }

    /// exit, exit-threshold, exit-confidence and exit-budget take effect from the next window; an
    /// exit layer the model lacks is refused and the policy in force stays.
    public func apply(_ change: ParameterChange) throws {
        if let text = change[Self.exit] {
            if let model = running?.model { running?.policy = try ExitPolicy(text, exits: model.exits) }
            policyText = text
        }
        if let threshold = change[Self.threshold] { self.threshold = threshold }
        if let confidence = change[Self.confidence] { self.confidence = confidence }
        if let budget = change[Self.budget] { budgetSeconds = budget }
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if continuity.note(block) != nil {
            try finishStream(output: output)
            pending = []
            pendingTime = block.time
        }
        pending += block.values
        guard window > 0 else { return }
        while pending.count >= window {
            try decide(Array(pending[0..<window]), at: pendingTime, output: output)
            let step = min(hop, pending.count)
            pending.removeFirst(step)
            pendingTime += Int64(step)
        }
    }

    public func finish(output: Output) throws {
        try finishStream(output: output)
    }

    /// window 0: the stream's one decision.
    private func finishStream(output: Output) throws {
        if window == 0, !pending.isEmpty { try decide(pending, at: pendingTime, output: output) }
        pending = []
    }

    /// Runs the encoder as deep as the policy asks for `samples` and emits the exit's posteriors and its `exit` event.
    private func decide(_ samples: [Float], at time: Int64, output: Output) throws {
        guard var running, running.model.encoder.config.frames(forSamples: samples.count) > 0 else { return }
        defer { self.running = running }
        let (model, policy) = (running.model, running.policy)
        let started = clock()
        var pass = try model.encoder.start(samples)
        var chosen = 0
        var result: ExitHead.Output
        switch policy {
        case .layer(let layer): chosen = model.exits.firstIndex(of: layer) ?? model.heads.count - 1
        case .last: chosen = model.heads.count - 1
        case .budget: chosen = running.budget.choose(budget: budgetSeconds)
        case .auto: chosen = 0
        }
        while true {
            try model.encoder.advance(&pass, to: model.heads[chosen].layer)
            result = model.heads[chosen].apply(pass.hidden)
            guard policy == .auto, chosen < model.heads.count - 1, confidence.of(result.posteriors) < threshold else { break }
            chosen += 1
        }
        let seconds = max(0, clock() - started)
        if policy != .auto { running.budget.record(exit: chosen, seconds: seconds) }
        let best = result.posteriors.indices.max { result.posteriors[$0] < result.posteriors[$1] } ?? 0
        try output.emit(Block(time: time, width: model.labels.count, values: result.posteriors), port: 0)
        let event = Event(time: time, duration: Int64(samples.count), name: "exit", fields: [
            .init("layer", .number(Double(model.heads[chosen].layer))), .init("label", .text(model.labels[best])),
            .init("confidence", .number(confidence.of(result.posteriors))), .init("cpu", .number(seconds)),
        ])
        try output.emit(Block(events: [event]), port: 1)
    }
}
