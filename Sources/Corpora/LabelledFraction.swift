import Foundation

extension Manifest {
    /// The manifest with only `fraction` of each label's train clips still labelled: per label,
    /// `max(1, round(fraction × count))` train clips chosen by `seed` keep their label and the others'
    /// labels are emptied (unlabelled clips); dev and test clips are kept as they are.
    /// Lines stay in their order, so the same seed chooses the same clips whatever else changes.
    public func keepingLabels(fraction: Double, seed: UInt64) -> Manifest {
        guard fraction < 1 else { return self }
        var generator = SeededRandom(seed: seed)
        var kept = Set<Int>()
        for label in labels {
            let train = entries.indices.filter { entries[$0].split == .train && entries[$0].label == label }
            let count = max(1, Int((fraction * Double(train.count)).rounded()))
            kept.formUnion(train.shuffled(using: &generator).prefix(count))
        }
        var result = self
        for index in entries.indices where entries[index].split == .train && !kept.contains(index) {
            result.entries[index].label = ""
        }
        return result
    }

    /// The manifest without its unlabelled clips.
    public var labelledOnly: Manifest { Manifest(entries: entries.filter(\.isLabelled)) }
}
