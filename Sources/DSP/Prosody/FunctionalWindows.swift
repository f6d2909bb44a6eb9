/// Groups a stream of `ProsodyFrame`s into windows of `length` frames every `hop` frames and
/// summarizes each with `ProsodyFunctionals`. A frame that does not follow the previous one
/// (a gap in the stream) first flushes the frames not yet summarized, then starts over.
public final class FunctionalWindows {
    /// One summarized window.
    public struct Row: Sendable, Equatable {
        /// Stream time of the window's first frame.
        public var time: Int64
        /// The functionals, in the order of `ProsodyFunctionals.names`.
        public var values: [Double]
    }

    /// Frames per window.
    public let length: Int
    /// Frames between window starts.
    public let hop: Int
    private let frameHop: Int64
    private let sampleRate: Double
    /// Frames from the start of the next window on.
    private var held: [ProsodyFrame] = []
    /// Frames still to pass over before the next window starts (when `hop > length`).
    private var skip = 0
    /// Time of the frame after the last frame seen.
    private var nextFrameTime: Int64?
    /// Whether `held` has frames that no emitted window covers.
    private var uncovered = false

    /// Windows of `length` frames every `hop` frames, of frames `frameHop` samples apart at `sampleRate`.
    public init(length: Int, hop: Int, frameHop: Int, sampleRate: Double) {
        precondition(length > 0 && hop > 0, "windows need a positive length and hop")
        self.length = length
        self.hop = hop
        self.frameHop = Int64(frameHop)
        self.sampleRate = sampleRate
    }

    /// Adds `frame` and returns the windows it completes (or flushes, after a gap).
    public func add(_ frame: ProsodyFrame) -> [Row] {
        var rows = frame.time == nextFrameTime ? [] : flush()
        nextFrameTime = frame.time + frameHop
        if skip > 0 {
            skip -= 1
            return rows
        }
        held.append(frame)
        uncovered = true
        if held.count == length {
            rows.append(summary(held))
            uncovered = false
            held.removeFirst(min(hop, length))
            skip = max(0, hop - length)
        }
        return rows
    }

    /// Summarizes the frames no window has covered yet (at the end of the stream), and
    /// starts over.
    public func flush() -> [Row] {
        defer {
            held = []
            skip = 0
            uncovered = false
            nextFrameTime = nil
        }
        return uncovered ? [summary(held)] : []
    }

    private func summary(_ frames: [ProsodyFrame]) -> Row {
        Row(time: frames[0].time, values: ProsodyFunctionals.summary(of: frames, sampleRate: sampleRate))
    }
}
