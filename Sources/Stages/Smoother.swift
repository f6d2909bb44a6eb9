import Foundation
import StageKit

/// Turns a stream of class posteriors into stable decisions: smooths them (moving average,
/// median or majority vote over recent windows), then switches label only with hysteresis
/// (a minimum margin over the current label, held for a minimum dwell time), emitting
/// `changed` events with from, to and confidence.
public final class Smoother: Stage {
    /// How windows are combined.
    public enum Method: String, ParameterChoice { case ema, median, majority }

    public static let method = Parameter<Method>("method", default: .ema, doc: "how windows are combined")
    public static let alpha = Parameter<Double>("alpha", default: 0.3, range: 0.001...1, live: true, doc: "ema weight of the newest window")
    public static let windows = Parameter<Int>("windows", default: 5, range: 1...1000, doc: "median and majority: windows combined")
    public static let margin = Parameter<Double>("margin", default: 0.1, range: 0...1, live: true,
                                                 doc: "a new label must beat the current one by this much")
    public static let dwell = Parameter<Double>("dwell", default: 1, range: 0...3600, unit: "s", live: true,
                                                doc: "and keep winning for this long before the decision changes")
    public static let every = Parameter<Bool>("every", default: false, doc: "also emit a `decision` event for every window")

    public static let info = StageInfo(
        name: "smoother",
        summary: "Smooths posteriors (ema, median or majority over N windows) and emits `changed` events with hysteresis.",
        inputs: [PortSpec("in", .posterior, doc: "class probabilities per decision window")],
        outputs: [
            PortSpec("events", .event, doc: "`changed` (from, to, confidence) and, with every: true, `decision` per window"),
            PortSpec("smoothed", .posterior, doc: "the smoothed probabilities"),
        ],
        parameters: [method, alpha, windows, margin, dwell, every])

    private let method: Method
    private var alpha: Double
    private let windows: Int
    private var margin: Double
    private var dwellSeconds: Double
    private let every: Bool
    private var labels: [String] = []
    private var sampleRate = 1.0
    private var hop = 1
    /// The stream time each row's decision stands for: its window's span when the posteriors
    /// say (window.span), else one hop.
    private var span = 1
    private var recent: [[Double]] = []
    private var average: [Double]?
    /// The decision in force, and a challenger with the time it started winning.
    private var current: Int?
    /// The decision in force before a model swap brought labels without it: the next `changed` event's `from`.
    private var abandoned: String?
    private var challenger: (label: Int, since: Int64)?

    public init(parameters: Parameters, context: StageContext) throws {
        method = parameters[Self.method]
        alpha = parameters[Self.alpha]
        windows = parameters[Self.windows]
        margin = parameters[Self.margin]
        dwellSeconds = parameters[Self.dwell]
        every = parameters[Self.every]
    }

    /// alpha, margin and dwell take effect from the next window.
    public func apply(_ change: ParameterChange) throws {
        if let alpha = change[Self.alpha] { self.alpha = alpha }
        if let margin = change[Self.margin] { self.margin = margin }
        if let dwell = change[Self.dwell] { dwellSeconds = dwell }
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let outputs = try outputs(following: inputs[0], port: 0)
        labels = inputs[0].labels
        sampleRate = inputs[0].sampleRate
        hop = inputs[0].hop
        span = inputs[0].settings["window.span"].flatMap { Int($0) } ?? hop
        return outputs
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        var events: [Event] = []
        var smoothed: [Float] = []
        for row in 0..<block.rows {
            let time = block.time + Int64(row * hop)
            let probabilities = block.values[(row * labels.count)..<((row + 1) * labels.count)].map(Double.init)
            let combined = smooth(probabilities)
            smoothed += combined.map(Float.init)
            if let change = decide(combined, at: time) { events.append(change) }
            if every, let current {
                events.append(Event(time: time, duration: Int64(span), name: "decision",
                                    fields: [.init("label", .text(labels[current])), .init("confidence", .number(combined[current]))]))
            }
        }
        if !events.isEmpty { try output.emit(Block(events: events), port: 0) }
        try output.emit(Block(time: block.time, width: labels.count, values: smoothed), port: 1)
    }

    /// Combines the newest window with the recent ones.
    private func smooth(_ probabilities: [Double]) -> [Double] {
        switch method {
        case .ema:
            let next = average.map { zip($0, probabilities).map { (1 - alpha) * $0 + alpha * $1 } } ?? probabilities
            average = next
            return next
        case .median:
            remember(probabilities)
            return labels.indices.map { label in
                let sorted = recent.map { $0[label] }.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
        case .majority:  // the share of recent windows each label won
            remember(probabilities)
            var votes = [Double](repeating: 0, count: labels.count)
            for window in recent { votes[argmax(window)] += 1 / Double(recent.count) }
            return votes
        }
    }

    private func remember(_ probabilities: [Double]) {
        recent.append(probabilities)
        if recent.count > windows { recent.removeFirst() }
    }

    /// Applies hysteresis; returns a `changed` event when the decision changes.
    private func decide(_ probabilities: [Double], at time: Int64) -> Event? {
        let best = argmax(probabilities)
        guard let held = current else {
            current = best
            defer { abandoned = nil }
            return Event(time: time, duration: Int64(span), name: "changed", fields: [
                .init("from", .text(abandoned ?? "")), .init("to", .text(labels[best])), .init("confidence", .number(probabilities[best])),
            ])
        }
        guard best != held, probabilities[best] - probabilities[held] >= margin else {
            challenger = nil
            return nil
        }
        if challenger?.label != best { challenger = (best, time) }
        guard Double(time - challenger!.since) / sampleRate >= dwellSeconds else { return nil }
        current = best
        challenger = nil
        return Event(time: time, duration: Int64(span), name: "changed", fields: [
            .init("from", .text(labels[held])), .init("to", .text(labels[best])), .init("confidence", .number(probabilities[best])),
        ])
    }

    private func argmax(_ values: [Double]) -> Int {
        values.indices.max { values[$0] < values[$1] }!
    }
}

/// A model swapped upstream may answer over other labels: the smoothing starts afresh from the
/// next window, and the decision in force carries over by name (if the new labels lack it, the
/// next window's decision is a `changed` event from it).
extension Smoother: LabelFollowing {
    public func outputs(following format: StreamFormat, port: Int) throws -> [StreamFormat] {
        guard format.labels.count >= 2 else {
            throw StageError.format(port: "in", message: "needs posteriors over at least two labels, got \(format)")
        }
        // `changed` carries from, to and confidence; `decision` (every: true) label and confidence.
        let fields = every ? ["from", "to", "label", "confidence"] : ["from", "to", "confidence"]
        return [.event(sampleRate: format.sampleRate, fields: fields), format]
    }

    public func follow(_ format: StreamFormat, port: Int) {
        let held = current.map { labels[$0] } ?? abandoned
        labels = format.labels
        average = nil
        recent = []
        challenger = nil
        current = held.flatMap { labels.firstIndex(of: $0) }
        abandoned = current == nil ? held : nil
    }
}
