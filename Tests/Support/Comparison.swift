/// The largest absolute difference between `actual` and `expected`: `ValueComparison`'s, as a
/// number (infinity when the counts differ, nothing is compared, or a NaN appears).
public func largestDifference<A: Collection, E: Collection>(_ actual: A, _ expected: E) -> Float
where A.Element == Float, E.Element == Float {
    Float(ValueComparison(actual, expected).worst)
}
