import DSP
import StageKit

/// Groups frames into decision windows, the unit a classifier decides on: every `hop`
/// seconds, the frames of the last `length` seconds, flattened into one row.
public final class DecisionWindow: Stage {
    /// What happens at the end of the stream.
    public enum Tail: String, ParameterChoice {
        case none
        case endAligned = "end-aligned"
    }

    public static let length = Parameter<Double>("length", default: 1, range: 0.001...3600, unit: "s", doc: "window length")
    public static let hop = Parameter<Double>("hop", default: 0.25, range: 0.001...3600, unit: "s", doc: "time between window starts")
    public static let tail = Parameter<Tail>("tail", default: Tail.none,
                                             doc: "end of stream: none, or one more window of the last frames if the windows missed them (a stream shorter than a window: its frames repeated)")

    public static let info = StageInfo(
        name: "window",
        summary: "Groups frames into decision windows (e.g. 1 s every 0.25 s): one row of frames × dimension per window.",
        inputs: [PortSpec("in", .features, .embedding, doc: "frames")],
        outputs: [PortSpec("out", .features, doc: "one row per window: its frames, oldest first, flattened")],
        parameters: [length, hop, tail])

    private let lengthSeconds: Double
    private let hopSeconds: Double
    private let tailMode: Tail
    private var windows: SlidingWindows?
    private var tail: StreamTail?
    private var continuity = StreamContinuity()

    public init(parameters: Parameters, context: StageContext) throws {
        lengthSeconds = parameters[Self.length]
        hopSeconds = parameters[Self.hop]
        tailMode = parameters[Self.tail]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
        let framesPerSecond = input.sampleRate / Double(input.hop)
        let windows = SlidingWindows(length: max(1, Int((lengthSeconds * framesPerSecond).rounded())),
                                     hop: max(1, Int((hopSeconds * framesPerSecond).rounded())), width: input.width, rowHop: input.hop)
        self.windows = windows
        tail = tailMode == .endAligned ? StreamTail(length: windows.length, width: input.width, rowHop: input.hop) : nil
        let name = input.labels.first ?? input.kind.rawValue
        var format = StreamFormat.features(name, dimension: windows.length * input.width, hop: windows.hop * input.hop,
                                           sampleRate: input.sampleRate)
        format.labels = [name, "\(windows.length)x\(input.width)"]
        // window.span: the stream time one window covers, so that decisions downstream can say
        // which audio they stand for.
        format.settings = input.settings.merging(["window.frames": String(windows.length), "window.hop-frames": String(windows.hop),
                                                  "window.span": String(windows.length * input.hop),
                                                  "window.tail": tailMode.rawValue]) { $1 }
        return [format]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let width = windows.map({ $0.length * $0.width }) else { return }
        if let start = continuity.note(block, hop: windows?.rowHop ?? 1) {
            // Windows never span frames that were dropped.
            if start == .afterGap { try finish(output: output) }
            windows?.restart(at: block.time)
            tail?.restart(at: block.time)
        }
        var rows: [Float] = []
        var firstTime: Int64?
        block.values.withUnsafeBufferPointer { frames in
            tail?.note(frames)
            windows?.push(frames) { window, time in
                firstTime = firstTime ?? time
                rows.append(contentsOf: window)
                tail?.noteWindow(at: time)
            }
        }
        if let firstTime { try output.emit(Block(time: firstTime, width: width, values: rows)) }
    }

    /// With `tail: end-aligned`, the window that covers the frames the others missed.
    public func finish(output: Output) throws {
        guard let last = tail?.finalWindow(), let width = windows.map({ $0.length * $0.width }) else { return }
        try output.emit(Block(time: last.time, width: width, values: last.values))
    }
}
