/// A small, fast pseudo-random generator (SplitMix64) whose sequence depends only on its seed,
/// so a corpus made with the same seed is the same on every machine and at any parallelism.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for item `index` of a run seeded with `seed`, independent of the other items'.
    public init(seed: UInt64, stream index: Int) {
        var base = SeededRandom(seed: seed)
        state = base.next() &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }

    /// A value within ± `spread` of `center`.
    public mutating func around(_ center: Double, _ spread: Double) -> Double {
        uniform((center - spread)...(center + spread))
    }
}
