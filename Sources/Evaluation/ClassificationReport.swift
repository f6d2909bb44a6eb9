/// How well clip-level decisions match the truth: the confusion matrix and the measures
/// speech emotion recognition reports — UA (unweighted average recall: the mean of the
/// classes' recalls, so each class counts the same), WA (weighted accuracy: the share of
/// clips right), and macro-F1. Classes absent from the truth do not enter the averages.
public struct ClassificationReport: Sendable, Equatable {
    public let labels: [String]
    /// confusion[truth][prediction]: clips of class `truth` decided as `prediction`.
    public let confusion: [[Int]]

    /// The report for `truths` and `predictions` (indices into `labels`, one per clip).
    public init(labels: [String], truths: [Int], predictions: [Int]) {
        self.labels = labels
        var confusion = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for (truth, prediction) in zip(truths, predictions) { confusion[truth][prediction] += 1 }
        self.confusion = confusion
    }

    /// Clips of each class in the truth.
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }
    public var total: Int { support.reduce(0, +) }

    /// Per class: right decisions over the class's clips (0 for a class with none).
    public var recall: [Double] {
        labels.indices.map { support[$0] > 0 ? Double(confusion[$0][$0]) / Double(support[$0]) : 0 }
    }

    /// Per class: right decisions over the clips decided as the class (0 when none were).
    public var precision: [Double] {
        labels.indices.map { column in
            let decided = confusion.reduce(0) { $0 + $1[column] }
            return decided > 0 ? Double(confusion[column][column]) / Double(decided) : 0
        }
    }

    /// Per class: the harmonic mean of precision and recall (0 when both are 0).
    public var f1: [Double] {
        zip(precision, recall).map { precision, recall in precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0 }
    }

    /// Unweighted average recall over the classes present in the truth.
    public var unweightedAccuracy: Double { meanOverPresent(recall) }

    /// The share of all clips decided right.
    public var weightedAccuracy: Double {
        total > 0 ? Double(labels.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(total) : 0
    }

    /// F1 averaged over the classes present in the truth.
    public var macroF1: Double { meanOverPresent(f1) }

    private func meanOverPresent(_ values: [Double]) -> Double {
        let present = labels.indices.filter { support[$0] > 0 }
        return present.isEmpty ? 0 : present.reduce(0) { $0 + values[$1] } / Double(present.count)
    }

    /// The matrix as aligned text, rows the truth, columns the decisions, with each class's recall.
    public var table: String {
        let width = max(7, labels.map(\.count).max() ?? 0)
        func pad(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = [pad("") + " " + labels.map(pad).joined(separator: " ") + " " + pad("recall")]
        for (row, label) in labels.enumerated() {
            let cells = confusion[row].map { pad(String($0)) }.joined(separator: " ")
            lines.append(pad(label) + " " + cells + " " + pad(support[row] > 0 ? formatFraction(recall[row]) : "-"))
        }
        return lines.joined(separator: "\n")
    }
}

/// 0.8125 → "0.812" (three decimals, the same text on every machine).
public func formatFraction(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let sign = thousandths < 0 ? "-" : ""
    let whole = abs(thousandths)
    let decimals = String(whole % 1000)
    return "\(sign)\(whole / 1000)." + String(repeating: "0", count: 3 - decimals.count) + decimals
}
