/// The end-of-stream rule for decision windows that must cover every frame: remembers the
/// last `length` rows and how far the regular windows reached, and at the end gives one more
/// window when they fell short — the last `length` rows (end-aligned), or, for a stream shorter
/// than one window, its rows repeated cyclically up to `length`.
public struct StreamTail: Sendable {
    public let length: Int
    public let width: Int
    public let rowHop: Int
    /// The last rows seen, at most `length` of them, oldest first.
    private var recent: [Float] = []
    private var startTime: Int64 = 0
    private var rows = 0
    /// Rows (from the start) covered by the regular windows so far.
    private var covered = 0

    public init(length: Int, width: Int, rowHop: Int) {
        self.length = length
        self.width = width
        self.rowHop = rowHop
        recent.reserveCapacity(length * width)
    }

    /// Starts a new stream at `time`.
    public mutating func restart(at time: Int64) {
        recent.removeAll(keepingCapacity: true)
        startTime = time
        rows = 0
        covered = 0
    }

    /// Notes rows that arrived (row-major).
    public mutating func note(_ values: UnsafeBufferPointer<Float>) {
        rows += values.count / width
        recent.append(contentsOf: values.suffix(length * width))
        if recent.count > length * width { recent.removeFirst(recent.count - length * width) }
    }

    /// Notes a regular window that started at `time`.
    public mutating func noteWindow(at time: Int64) {
        covered = max(covered, Int((time - startTime) / Int64(rowHop)) + length)
    }

    /// The extra window the stream needs at its end, with its start time; nil when the regular
    /// windows covered every row or there were none.
    public func finalWindow() -> (values: [Float], time: Int64)? {
        guard rows > 0, covered < rows else { return nil }
        if rows >= length { return (recent, startTime + Int64((rows - length) * rowHop)) }
        var window = [Float](repeating: 0, count: length * width)
        for row in 0..<length {
            let source = row % rows
            for column in 0..<width { window[row * width + column] = recent[source * width + column] }
        }
        return (window, startTime)
    }
}
