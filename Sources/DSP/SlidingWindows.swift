/// Windows of `length` rows every `hop` rows over a stream of rows of `width` values, the same
/// whatever the sizes of the blocks the rows arrive in. A hop longer than the window passes
/// over the rows between windows.
public struct SlidingWindows: Sendable {
    /// Rows per window, and between window starts.
    public let length: Int
    public let hop: Int
    /// Values per row.
    public let width: Int
    /// Stream time between consecutive rows.
    public let rowHop: Int
    /// Rows not yet used, starting at stream time `pendingTime`.
    private var pending: [Float] = []
    private var pendingTime: Int64 = 0
    /// Rows still to pass over before the next window starts.
    private var skip = 0
    /// Stream time up to which emitted windows have covered the stream.
    private var coveredUntil: Int64 = 0

    /// Windows of `length` rows every `hop` rows, of rows `width` values wide and `rowHop` apart.
    public init(length: Int, hop: Int, width: Int = 1, rowHop: Int = 1) {
        precondition(length > 0 && hop > 0 && width > 0 && rowHop > 0)
        self.length = length
        self.hop = hop
        self.width = width
        self.rowHop = rowHop
    }

    /// Starts a new stream at stream time `time` (the start, or after a gap).
    public mutating func restart(at time: Int64) {
        pending = []
        pendingTime = time
        coveredUntil = time
        skip = 0
    }

    /// Adds rows (row-major); calls `window` with each complete window and its start time.
    public mutating func push(_ values: UnsafeBufferPointer<Float>, window: (UnsafeBufferPointer<Float>, Int64) throws -> Void) rethrows {
        let (length, hop, width, rowHop) = (length, hop, width, rowHop)
        try push(values) { (span: UnsafeBufferPointer<Float>, count: Int, time: Int64) in
            for index in 0..<count {
                let start = index * hop * width
                try window(UnsafeBufferPointer(rebasing: span[start..<(start + length * width)]), time + Int64(index * hop * rowHop))
            }
        }
    }

    /// Adds rows (row-major); calls `windows` with the complete windows that follow each
    /// other without a gap, as one span of rows: `count` windows, window i starting at row
    /// i·hop of the span, the first at stream time `time`.
    public mutating func push(_ values: UnsafeBufferPointer<Float>,
                              windows: (_ span: UnsafeBufferPointer<Float>, _ count: Int, _ time: Int64) throws -> Void) rethrows {
        pending.append(contentsOf: values)
        var start = 0  // rows of `pending` used up
        try pending.withUnsafeBufferPointer { rows in
            let available = rows.count / width
            while true {
                let dropped = min(skip, available - start)
                start += dropped
                skip -= dropped
                pendingTime += Int64(dropped * rowHop)
                guard skip == 0, available - start >= length else { break }
                let count = (available - start - length) / hop + 1
                let end = start + (count - 1) * hop + length
                try windows(UnsafeBufferPointer(rebasing: rows[(start * width)..<(end * width)]), count, pendingTime)
                coveredUntil = pendingTime + Int64(((count - 1) * hop + length) * rowHop)
                skip = count * hop
            }
        }
        pending.removeFirst(start * width)
    }

    /// The rows held at the end of a stream that no window has covered, with their start time.
    public var uncoveredTail: (values: ArraySlice<Float>, time: Int64)? {
        let rows = pending.count / width
        guard rows > 0, pendingTime + Int64(rows * rowHop) > coveredUntil else { return nil }
        return (pending[...], pendingTime)
    }
}
