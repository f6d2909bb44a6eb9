/// Numbers compared with their expected values: shapes and counts first, then the largest
/// difference and where it is. A comparison with nothing in it, or with a NaN, never passes.
///
/// ```swift
/// let comparison = ValueComparison(values, reference)
/// #expect(comparison.isWithin(1e-6), "\(comparison)")
/// ```
public struct ValueComparison: CustomStringConvertible {
    /// The shapes compared (their counts, for flat sequences).
    public let shape: [Int]
    public let expectedShape: [Int]
    /// The largest |actual − expected| / scale; infinity when the shapes differ, nothing was
    /// compared, or a difference is NaN.
    public let worst: Double
    /// Where `worst` is, in the flat sequences, with the two values there.
    public let worstIndex: Int?
    private let worstValues: (actual: Double, expected: Double)?
    /// Why the values were not compared, or a NaN stopped the comparison.
    private var mismatch: String?

    /// Compares `actual` with `expected`, each laid out row-major in its shape (default: flat,
    /// its count), differences divided by `scale`.
    public init<A: Collection, E: Collection>(_ actual: A, _ expected: E, shape: [Int]? = nil, expectedShape: [Int]? = nil,
                                              scale: Double = 1) where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
        self.shape = shape ?? [actual.count]
        self.expectedShape = expectedShape ?? [expected.count]
        if self.shape.reduce(1, *) != actual.count || self.expectedShape.reduce(1, *) != expected.count {
            mismatch = "\(actual.count) values in shape \(self.shape), \(expected.count) expected in shape \(self.expectedShape)"
        } else if self.shape != self.expectedShape {
            mismatch = self.shape.count == 1 && self.expectedShape.count == 1
                ? "\(actual.count) values where \(expected.count) were expected"
                : "shape \(self.shape) where \(self.expectedShape) was expected"
        } else {
            mismatch = actual.isEmpty ? "nothing to compare" : nil
        }
        guard mismatch == nil else {
            (worst, worstIndex, worstValues) = (.infinity, nil, nil)
            return
        }
        var worst = -1.0, worstIndex = 0, worstValues = (0.0, 0.0)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            let difference = abs(Double(a) - Double(e)) / scale
            guard !difference.isNaN else {
                (self.worst, self.worstIndex, self.worstValues) = (.infinity, index, (Double(a), Double(e)))
                mismatch = "NaN at index \(index): \(a) where \(e) was expected"
                return
            }
            if difference > worst { (worst, worstIndex, worstValues) = (difference, index, (Double(a), Double(e))) }
        }
        (self.worst, self.worstIndex, self.worstValues) = (worst, worstIndex, worstValues)
    }

    /// Whether the shapes agree and every value is within `tolerance` (after `scale`).
    public func isWithin(_ tolerance: Double) -> Bool { mismatch == nil && worst <= tolerance }

    public var description: String {
        if let mismatch { return mismatch }
        guard let worstIndex, let worstValues else { return "nothing to compare" }
        var position = "index \(worstIndex)"
        if shape.count > 1 {
            var rest = worstIndex, indices: [Int] = []
            for size in shape.reversed() {
                indices.insert(rest % size, at: 0)
                rest /= size
            }
            position += " \(indices)"
        }
        return "largest difference \(worst) at \(position): \(worstValues.actual) where \(worstValues.expected) was expected"
    }
}
