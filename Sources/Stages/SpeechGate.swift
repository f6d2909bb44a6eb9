import StageKit

/// Lets through only the rows (windows, frames, posteriors) that fall mostly on speech, as
/// `vad` marks it, so that decisions are made on speech alone.
public final class SpeechGate: Stage {
    public static let span = Parameter<Double>("span", default: 0, range: 0...3600, unit: "s",
                                               doc: "time each row covers, from its start (a window's length); 0 means its hop")
    public static let minSpeech = Parameter<Double>("min-speech", default: 0.5, range: 0...1, doc: "share of the span that must be speech")

    public static let info = StageInfo(
        name: "speech-gate",
        summary: "Passes the rows that fall mostly on speech (by a vad's activity), drops the rest.",
        inputs: [
            PortSpec("in", .features, .embedding, .posterior, doc: "rows to gate"),
            PortSpec("activity", .features, doc: "a vad's activity frames"),
        ],
        outputs: [PortSpec("out", .features, .embedding, .posterior, doc: "the rows on speech")],
        parameters: [span, minSpeech])

    private let spanSeconds: Double
    private let minimumSpeech: Double
    private var width = 1
    private var rowHop = 1
    private var span: Int64 = 1
    private var activityHop = 1
    /// Rows waiting for activity to cover them: their time and values.
    private var waiting: [(time: Int64, values: ArraySlice<Float>)] = []
    /// Activity frames not yet behind every waiting row: their times and flags.
    private var activity: [(time: Int64, speech: Bool)] = []

    public init(parameters: Parameters, context: StageContext) throws {
        spanSeconds = parameters[Self.span]
        minimumSpeech = parameters[Self.minSpeech]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        guard inputs[1].width == 1 else {
            throw StageError.format(port: "activity", message: "takes a vad's activity (one column), got \(inputs[1])")
        }
        guard inputs[0].sampleRate == inputs[1].sampleRate else {
            throw StageError.format(port: "activity", message: "runs on a \(inputs[1].sampleRate.formatted) Hz clock but the rows on \(inputs[0].sampleRate.formatted) Hz; run vad on the audio the rows come from")
        }
        width = inputs[0].width
        rowHop = inputs[0].hop
        activityHop = inputs[1].hop
        span = spanSeconds > 0 ? Int64((spanSeconds * inputs[0].sampleRate).rounded()) : Int64(rowHop)
        return [inputs[0]]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if port == 0 {
            for row in 0..<block.rows {
                waiting.append((block.time + Int64(row * rowHop), block.values[(row * width)..<((row + 1) * width)]))
            }
        } else {
            for row in 0..<block.rows { activity.append((block.time + Int64(row * activityHop), block.values[row] > 0.5)) }
        }
        try release(output: output, final: false)
    }

    public func finish(output: Output) throws {
        try release(output: output, final: true)
    }

    /// Decides the rows whose span the activity now covers (all of them at the end).
    private func release(output: Output, final: Bool) throws {
        let covered = (activity.last?.time ?? Int64.min) + Int64(activityHop)
        var passed: [(time: Int64, values: ArraySlice<Float>)] = []
        while let row = waiting.first, final || row.time + span <= covered {
            waiting.removeFirst()
            let inside = activity.filter { $0.time >= row.time && $0.time < row.time + span }
            let speech = inside.filter(\.speech).count
            if !inside.isEmpty && Double(speech) / Double(inside.count) >= minimumSpeech { passed.append(row) }
        }
        if let oldest = waiting.first?.time { activity.removeAll { $0.time < oldest } }
        // Consecutive rows leave together; a gap between passed rows starts a new block.
        var start = 0
        for index in passed.indices where index == passed.count - 1 || passed[index + 1].time != passed[index].time + Int64(rowHop) {
            try output.emit(Block(time: passed[start].time, width: width, values: passed[start...index].flatMap(\.values)))
            start = index + 1
        }
    }
}
