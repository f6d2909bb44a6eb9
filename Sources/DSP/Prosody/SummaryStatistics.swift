import Foundation

/// The statistics the prosody functionals and spectral descriptors are made of.
public enum SummaryStatistics {
    /// The arithmetic mean; 0 for no values.
    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// The population standard deviation; 0 for no values.
    public static func standardDeviation(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let average = mean(values)
        return (values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(values.count)).squareRoot()
    }

    /// The `fraction` quantile (0...1), interpolating linearly between the sorted values;
    /// 0 for no values.
    public static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = fraction * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }

    /// The slope of the least-squares line through the points (`x[i]`, `y[i]`); 0 for
    /// fewer than two distinct `x`.
    public static func slope(x: [Double], y: [Double]) -> Double {
        precondition(x.count == y.count, "one y per x")
        let meanX = mean(x), meanY = mean(y)
        var covariance = 0.0, variance = 0.0
        for (xi, yi) in zip(x, y) {
            covariance += (xi - meanX) * (yi - meanY)
            variance += (xi - meanX) * (xi - meanX)
        }
        return variance > 0 ? covariance / variance : 0
    }

    /// 10·log10 of a power ratio, never below `floor`.
    public static func powerDecibels(_ ratio: Double, floor: Double = -120) -> Double {
        ratio > 0 ? max(floor, 10 * log10(ratio)) : floor
    }
}
