/// Tells, block by block, whether a stream goes on where it left off or starts anew: at its
/// first block, or after a gap (a live graph that fell behind dropped audio upstream). A
/// stage that holds state across blocks (windows, filters) restarts it when a block starts anew.
public struct StreamContinuity: Sendable {
    /// How a block starts anew.
    public enum Start: Sendable, Equatable {
        /// The first block of the stream.
        case first
        /// A block that does not begin where the previous one ended.
        case afterGap
    }

    private var expected: Int64?

    public init() {}

    /// Notes `block`, whose rows stand `hop` clock samples apart.
    /// - Returns: how it starts anew, or nil when it follows on from the previous block.
    public mutating func note(_ block: Block, hop: Int = 1) -> Start? {
        defer { expected = block.time + Int64(block.rows * hop) }
        guard let expected else { return .first }
        return block.time == expected ? nil : .afterGap
    }
}
