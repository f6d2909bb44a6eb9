import StageKit

/// Groups frames into decision windows, the unit a classifier decides on: every `hop`
/// seconds, the frames of the last `length` seconds, flattened into one row.
public final class DecisionWindow: Stage {
    public static let info = StageInfo(
        name: "window",
        summary: "Groups frames into decision windows (e.g. 1 s every 0.25 s): one row of frames × dimension per window.",
        inputs: [PortSpec("in", .features, .embedding, doc: "frames")],
        outputs: [PortSpec("out", .features, doc: "one row per window: its frames, oldest first, flattened")],
        parameters: [
            ParameterSpec("length", .number, default: .number(1), range: 0.001...3600, unit: "s", doc: "window length"),
            ParameterSpec("hop", .number, default: .number(0.25), range: 0.001...3600, unit: "s", doc: "time between window starts"),
        ])

    private let lengthSeconds: Double
    private let hopSeconds: Double
    private var dimension = 1
    private var framesPerWindow = 1
    private var framesPerHop = 1
    private var frameHop = 1
    /// Frames not yet past every window they belong to, and the stream time of the first.
    private var frames: [Float] = []
    private var firstTime: Int64 = 0
    /// Frames still to pass over before the next window starts.
    private var skip = 0
    private var expected: Int64?

    public init(parameters: Parameters, context: StageContext) throws {
        lengthSeconds = parameters.number("length")
        hopSeconds = parameters.number("hop")
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
        dimension = input.width
        frameHop = input.hop
        let framesPerSecond = input.sampleRate / Double(input.hop)
        framesPerWindow = max(1, Int((lengthSeconds * framesPerSecond).rounded()))
        framesPerHop = max(1, Int((hopSeconds * framesPerSecond).rounded()))
        let name = input.labels.first ?? input.kind.rawValue
        var format = StreamFormat.features(name, dimension: framesPerWindow * dimension, hop: framesPerHop * frameHop,
                                           sampleRate: input.sampleRate)
        format.labels = [name, "\(framesPerWindow)x\(dimension)"]
        return [format]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if block.time != expected {
            // A start, or a gap: windows never span frames that were dropped.
            frames = []
            firstTime = block.time
            skip = 0
        }
        expected = block.time + Int64(block.rows * frameHop)
        frames += block.values
        var windows: [Float] = []
        var windowTime: Int64?
        while true {
            let dropped = min(skip, frames.count / dimension)
            frames.removeFirst(dropped * dimension)
            firstTime += Int64(dropped * frameHop)
            skip -= dropped
            guard skip == 0, frames.count >= framesPerWindow * dimension else { break }
            windowTime = windowTime ?? firstTime
            windows += frames[0..<(framesPerWindow * dimension)]
            skip = framesPerHop
        }
        if let windowTime {
            try output.emit(Block(time: windowTime, width: framesPerWindow * dimension, values: windows))
        }
    }
}
