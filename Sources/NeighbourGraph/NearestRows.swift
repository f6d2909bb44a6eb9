/// Each row's best candidates so far: at most `keep` of them, each at least `threshold` similar,
/// ordered by similarity (ties: the earlier row first), a candidate offered twice kept once.
/// Rows are independent: threads that offer candidates for different rows need no lock.
final class NearestRows: @unchecked Sendable {
    private let keep: Int
    private let threshold: Float
    private var targets: [Int32]
    private var weights: [Float]
    private var counts: [Int]

    init(count: Int, keep: Int, threshold: Float) {
        self.keep = keep
        self.threshold = threshold
        targets = [Int32](repeating: -1, count: count * keep)
        weights = [Float](repeating: 0, count: count * keep)
        counts = [Int](repeating: 0, count: count)
    }

    /// Offers `candidates` to `row`, their similarities at `similarities[offset...]`; the row itself is skipped.
    func offer(_ row: Int, candidates: [Int], similarities: UnsafeBufferPointer<Float>, from offset: Int) {
        let base = row * keep
        // Most candidates fall below the threshold or the row's worst kept one: one comparison each.
        var floor = counts[row] == keep ? max(threshold, weights[base + keep - 1]) : threshold
        for position in 0..<candidates.count where similarities[offset + position] >= floor {
            let candidate = candidates[position]
            guard candidate != row else { continue }
            insert(candidate, weight: similarities[offset + position], into: row)
            if counts[row] == keep { floor = max(threshold, weights[base + keep - 1]) }
        }
    }

    /// Puts `candidate` into `row`'s sorted list if it beats the worst kept one (or there is room).
    private func insert(_ candidate: Int, weight: Float, into row: Int) {
        let base = row * keep
        var count = counts[row]
        if count == keep {
            let (worstWeight, worstTarget) = (weights[base + keep - 1], Int(targets[base + keep - 1]))
            guard weight > worstWeight || (weight == worstWeight && candidate < worstTarget) else { return }
        }
        if (base..<(base + count)).contains(where: { targets[$0] == Int32(candidate) }) { return }
        if count < keep { count += 1 }
        // Insertion into the sorted list, dropping the worst when full.
        var slot = base + count - 1
        while slot > base && Self.precedes(weight, candidate, weights[slot - 1], Int(targets[slot - 1])) {
            weights[slot] = weights[slot - 1]
            targets[slot] = targets[slot - 1]
            slot -= 1
        }
        weights[slot] = weight
        targets[slot] = Int32(candidate)
        counts[row] = count
    }

    private static func precedes(_ weight: Float, _ target: Int, _ otherWeight: Float, _ otherTarget: Int) -> Bool {
        weight > otherWeight || (weight == otherWeight && target < otherTarget)
    }

    /// Every kept pair as an edge, row by row.
    func edges() -> [NeighbourGraph.Edge] {
        counts.indices.flatMap { row in
            (0..<counts[row]).map {
                // Clamped: rounding can put the cosine of near-identical rows a hair above 1.
                NeighbourGraph.Edge(source: row, target: Int(targets[row * keep + $0]), weight: min(1, weights[row * keep + $0]))
            }
        }
    }
}
