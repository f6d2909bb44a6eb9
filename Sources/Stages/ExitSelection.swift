import Foundation
import StageKit

/// How the `wav2vec2-early-exit` stage picks the exit of each window.
enum ExitPolicy: Equatable, CustomStringConvertible {
    /// Always this layer's exit.
    case layer(Int)
    /// The deepest exit.
    case last
    /// The first exit whose confidence reaches the threshold (the deepest if none does).
    case auto
    /// The deepest exit whose expected CPU time per window stays inside the budget.
    case budget

    /// Reads a value of the `exit` parameter, checking a layer against the model's `exits`.
    init(_ text: String, exits: [Int]) throws {
        switch text {
        case "last": self = .last
        case "auto": self = .auto
        case "budget": self = .budget
        default:
            guard let layer = Int(text), exits.contains(layer) else {
                throw StageError.failed("exit '\(text)' is not one of the model's exit layers \(exits.map(String.init).joined(separator: ", ")), "
                                        + "last, auto or budget")
            }
            self = .layer(layer)
        }
    }

    var description: String {
        switch self {
        case .layer(let layer): return String(layer)
        case .last: return "last"
        case .auto: return "auto"
        case .budget: return "budget"
        }
    }
}

/// How the `auto` exit policy measures how sure a head is of a window, from 0 to 1.
public enum ExitConfidence: String, ParameterChoice {
    /// The largest posterior.
    case max
    /// 1 − H(p) / ln(classes): 1 for a certain head, 0 for a uniform one.
    case entropy

    func of(_ posteriors: [Float]) -> Double {
        switch self {
        case .max: return Double(posteriors.max() ?? 0)
        case .entropy:
            guard posteriors.count > 1 else { return 1 }
            let entropy = posteriors.reduce(0.0) { $1 > 0 ? $0 - Double($1) * log(Double($1)) : $0 }
            return 1 - entropy / log(Double(posteriors.count))
        }
    }
}

/// The budget selection: the CPU time of each window it measures, divided by that exit's
/// arithmetic (floating-point operations from the start of the encoder to the head), gives the
/// machine's current seconds per operation, smoothed over windows; the next window takes the
/// deepest exit whose arithmetic at that rate fits the budget (the shallowest when none fits,
/// and the shallowest before the first measurement). A busier machine raises the rate and the
/// selection moves shallower; a quieter one lowers it and the selection moves deeper.
struct ExitBudget {
    /// Operations to reach and apply each exit (ascending layers), for one window.
    let costs: [Double]
    /// How much of each new measurement enters the smoothed rate.
    let smoothing: Double
    /// Smoothed seconds per operation, nil before the first measurement.
    private(set) var secondsPerOperation: Double?

    init(costs: [Double], smoothing: Double = 0.3) {
        self.costs = costs
        self.smoothing = smoothing
    }

    /// The index of the exit to run within `budget` seconds per window.
    func choose(budget: Double) -> Int {
        guard let rate = secondsPerOperation else { return 0 }
        return costs.lastIndex { $0 * rate <= budget } ?? 0
    }

    /// Takes the CPU time one window spent running exit `index`.
    mutating func record(exit index: Int, seconds: Double) {
        let rate = seconds / costs[index]
        secondsPerOperation = secondsPerOperation.map { $0 + smoothing * (rate - $0) } ?? rate
    }

    /// The same machine's rate with another model's per-exit `costs`.
    func rescaled(to costs: [Double]) -> ExitBudget {
        var budget = ExitBudget(costs: costs, smoothing: smoothing)
        budget.secondsPerOperation = secondsPerOperation
        return budget
    }

    /// The time the smoothed rate expects exit `index` to take, nil before any measurement.
    func expectedSeconds(exit index: Int) -> Double? { secondsPerOperation.map { $0 * costs[index] } }
}
