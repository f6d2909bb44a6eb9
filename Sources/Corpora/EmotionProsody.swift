/// How one class of acted emotion is rendered: offsets to espeak-ng's prosody (SSML) and a level
/// change, each jittered per clip, plus sox effects. These are stereotypes of acted emotional
/// speech (higher, wider pitch and faster speech for happy; lower, narrower, slower and darker
/// for sad; louder, harsher and compressed for angry; higher, faster and tremulous for fearful),
/// rendered synthetically: material for tests and demos, not a model of real emotion.
public struct EmotionProsody: Sendable {
    public var label: String
    /// Pitch change in percent, and its jitter (±).
    public var pitch: Double, pitchJitter: Double
    /// Pitch range change in percent, and its jitter.
    public var range: Double, rangeJitter: Double
    /// Speaking rate in percent of normal, and its jitter.
    public var rate: Double, rateJitter: Double
    /// Level change in dB, and its jitter.
    public var gain: Double, gainJitter: Double
    /// The sox effects for one clip (drawn from `random` where they vary).
    public var effects: @Sendable (inout SeededRandom) -> [String]

    /// The classes `corpus synth` knows.
    public static let all: [EmotionProsody] = [
        EmotionProsody(label: "neutral", pitch: 0, pitchJitter: 6, range: 0, rangeJitter: 15,
                       rate: 100, rateJitter: 6, gain: 0, gainJitter: 1.5) { _ in [] },
        EmotionProsody(label: "happy", pitch: 25, pitchJitter: 8, range: 70, rangeJitter: 20,
                       rate: 112, rateJitter: 6, gain: 2, gainJitter: 1.5) { random in
            ["treble", fixed(random.around(4, 1.5)), "3000"]
        },
        EmotionProsody(label: "sad", pitch: -15, pitchJitter: 6, range: -60, rangeJitter: 15,
                       rate: 76, rateJitter: 6, gain: -6, gainJitter: 2) { random in
            ["lowpass", fixed(random.around(3200, 600))]
        },
        EmotionProsody(label: "angry", pitch: 8, pitchJitter: 6, range: 40, rangeJitter: 20,
                       rate: 114, rateJitter: 6, gain: 5, gainJitter: 2) { random in
            ["overdrive", fixed(random.around(10, 4)), "20",
             "compand", "0.005,0.1", "6:-60,-60,-30,-12,0,-6", "-3", "-60", "0.05"]
        },
        EmotionProsody(label: "fearful", pitch: 35, pitchJitter: 8, range: -10, rangeJitter: 25,
                       rate: 122, rateJitter: 8, gain: -2, gainJitter: 2) { random in
            ["tremolo", fixed(random.around(6.5, 1.5)), fixed(random.around(45, 15))]
        },
    ]

    /// The profile of `label`, if `corpus synth` knows it.
    public static func named(_ label: String) -> EmotionProsody? { all.first { $0.label == label } }

    /// The SSML that espeak-ng reads for `text`, with this class's prosody jittered by `random`.
    public func ssml(_ text: String, random: inout SeededRandom) -> String {
        let pitch = random.around(self.pitch, pitchJitter)
        let range = random.around(self.range, rangeJitter)
        let rate = random.around(self.rate, rateJitter)
        func percent(_ value: Double) -> String { (value >= 0 ? "+" : "") + fixed(value) + "%" }
        return "<speak><prosody pitch=\"\(percent(pitch))\" range=\"\(percent(max(range, -95)))\" rate=\"\(fixed(rate))%\">"
            + escapeXML(text) + "</prosody></speak>"
    }
}

/// A number with one decimal, the same text on every machine.
func fixed(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
}

private func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}
