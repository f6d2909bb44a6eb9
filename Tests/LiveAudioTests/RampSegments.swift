/// A recording of `SignalClient`'s ramp after a round trip, cut into segments where it came back
/// exactly (each sample the ramp's next), with what lies between them. The ramp's values
/// (k + 1) / 2^20 are exact in Float32 and never 0, so any sample tells which one was sent.
struct RampSegments {
    /// A run of samples that came back exactly and in order.
    struct Segment {
        /// Where it starts in the recording, and which ramp sample (0-based) it starts with.
        var recordedStart: Int
        var sentStart: Int
        var count: Int
        /// Recording index minus sent index: the round trip's delay over this segment.
        var delay: Int { recordedStart - sentStart }
    }

    /// What lies between two segments.
    struct Break {
        /// Where the next segment starts in the recording.
        var recordedAt: Int
        /// Zeros recorded between them (silence played).
        var silence: Int
        /// Ramp samples missing between them: 0 when the ramp goes on where it stopped, more
        /// when some never came back, negative when some came back twice.
        var jump: Int
    }

    private(set) var segments: [Segment] = []
    private(set) var breaks: [Break] = []
    /// Recording indices holding a value that is no ramp sample (changed on the way).
    private(set) var corrupt: [Int] = []

    static let period = 1 << 20

    init(_ recorded: [Float]) {
        var zeros = 0
        for (index, value) in recorded.enumerated() {
            if value == 0 {
                zeros += 1
                continue
            }
            let scaled = value * Float(Self.period)
            guard scaled == scaled.rounded(), scaled >= 1, scaled <= Float(Self.period) else {
                corrupt.append(index)
                continue
            }
            let sent = Int(scaled) - 1
            if var last = segments.last, zeros == 0, last.recordedStart + last.count == index,
               (last.sentStart + last.count) % Self.period == sent {
                last.count += 1
                segments[segments.count - 1] = last
            } else {
                if let last = segments.last {
                    var jump = (sent - (last.sentStart + last.count)) % Self.period
                    if jump >= Self.period / 2 { jump -= Self.period } else if jump < -Self.period / 2 { jump += Self.period }
                    breaks.append(Break(recordedAt: index, silence: zeros, jump: jump))
                }
                segments.append(Segment(recordedStart: index, sentStart: sent, count: 1))
            }
            zeros = 0
        }
    }

    /// Samples that came back exactly.
    var exactSamples: Int { segments.reduce(0) { $0 + $1.count } }
}
