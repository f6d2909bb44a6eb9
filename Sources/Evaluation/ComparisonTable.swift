import Foundation

/// One trained and evaluated model of a comparison: a method at a labelled fraction and a seed.
public struct ComparisonRun: Sendable, Equatable {
    public var method: String
    public var fraction: Double
    public var seed: Int
    public var ua: Double
    public var wa: Double
    public var parameters: Int
    public var bytes: Int
    /// Inference time per second of audio (one core), in seconds.
    public var secondsPerAudioSecond: Double

    public init(method: String, fraction: Double, seed: Int, ua: Double, wa: Double, parameters: Int, bytes: Int,
                secondsPerAudioSecond: Double) {
        self.method = method
        self.fraction = fraction
        self.seed = seed
        self.ua = ua
        self.wa = wa
        self.parameters = parameters
        self.bytes = bytes
        self.secondsPerAudioSecond = secondsPerAudioSecond
    }
}

/// A method's runs at one labelled fraction, summarised over the seeds.
public struct ComparisonRow: Sendable, Equatable {
    public var method: String
    public var fraction: Double
    public var seeds: Int
    public var uaMean, uaStd, waMean, waStd: Double
    /// Means over the seeds.
    public var parameters, bytes: Int
    public var secondsPerAudioSecond: Double
}

/// The comparison of methods (rows in the order given) at each labelled fraction (largest first):
/// UA and WA as mean ± sample standard deviation over the seeds (0 with one seed), size and speed.
public struct ComparisonTable: Sendable {
    public let rows: [ComparisonRow]
    /// The methods that have runs, in the order given.
    public let methods: [String]
    /// Display names of the methods, by method key.
    public let names: [String: String]

    public init(runs: [ComparisonRun], methods: [String], names: [String: String] = [:]) {
        self.names = names
        self.methods = methods.filter { method in runs.contains { $0.method == method } }
        var rows: [ComparisonRow] = []
        for fraction in Set(runs.map(\.fraction)).sorted(by: >) {
            for method in methods {
                let group = runs.filter { $0.method == method && $0.fraction == fraction }
                guard !group.isEmpty else { continue }
                let (uaMean, uaStd) = Self.meanAndStd(group.map(\.ua))
                let (waMean, waStd) = Self.meanAndStd(group.map(\.wa))
                rows.append(ComparisonRow(
                    method: method, fraction: fraction, seeds: group.count, uaMean: uaMean, uaStd: uaStd, waMean: waMean, waStd: waStd,
                    parameters: Int((Self.meanAndStd(group.map { Double($0.parameters) }).mean).rounded()),
                    bytes: Int((Self.meanAndStd(group.map { Double($0.bytes) }).mean).rounded()),
                    secondsPerAudioSecond: Self.meanAndStd(group.map(\.secondsPerAudioSecond)).mean))
            }
        }
        self.rows = rows
    }

    static func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    private func name(_ method: String) -> String { names[method] ?? method }

    /// The table as aligned text, one line per row.
    public var text: String {
        let header = ["labels", "method", "UA", "WA", "parameters", "bytes", "ms / s audio", "seeds"]
        let lines = rows.map { row in
            [Self.percent(row.fraction), name(row.method), Self.plusMinus(row.uaMean, row.uaStd), Self.plusMinus(row.waMean, row.waStd),
             String(row.parameters), String(row.bytes), String(format: "%.2f", row.secondsPerAudioSecond * 1000), String(row.seeds)]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        return ([header] + lines).map { cells in
            cells.enumerated().map { column, cell in
                column < 2 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                           : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The table as CSV: one line per row, full precision.
    public var csv: String {
        var text = "labelled_fraction,method,seeds,ua_mean,ua_std,wa_mean,wa_std,parameters,bytes,seconds_per_audio_second\n"
        for row in rows {
            text += "\(row.fraction),\(row.method),\(row.seeds),\(row.uaMean),\(row.uaStd),\(row.waMean),\(row.waStd),"
                + "\(row.parameters),\(row.bytes),\(row.secondsPerAudioSecond)\n"
        }
        return text
    }

    /// A share as a percentage: "25 %", "12.5 %".
    public static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return (value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)) + " %"
    }

    static func plusMinus(_ mean: Double, _ std: Double) -> String { String(format: "%.3f ± %.3f", mean, std) }
}
