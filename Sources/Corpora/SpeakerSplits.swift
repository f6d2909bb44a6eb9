/// Assigns whole speakers to train, dev and test, so that no voice is heard in two splits.
public struct SpeakerSplits: Sendable {
    /// Fractions of the speakers (not of the clips) for dev and for test; the rest train.
    public var dev: Double
    public var test: Double
    public var seed: UInt64

    public init(dev: Double = 0.15, test: Double = 0.15, seed: UInt64 = 0) {
        self.dev = dev
        self.test = test
        self.seed = seed
    }

    /// Each speaker's split. With three speakers or more, every split gets at least one;
    /// the assignment depends only on the set of speakers and the seed.
    public func assign(_ speakers: [String]) -> [String: Split] {
        var order = Array(Set(speakers)).sorted()
        var random = SeededRandom(seed: seed)
        order.shuffle(using: &random)
        let count = order.count
        var testCount = Int((Double(count) * test).rounded())
        var devCount = Int((Double(count) * dev).rounded())
        if count >= 3 {
            if test > 0 { testCount = max(testCount, 1) }
            if dev > 0 { devCount = max(devCount, 1) }
        }
        testCount = min(testCount, count)
        devCount = min(devCount, count - testCount)
        var splits: [String: Split] = [:]
        for (index, speaker) in order.enumerated() {
            splits[speaker] = index < testCount ? .test : index < testCount + devCount ? .dev : .train
        }
        return splits
    }
}
