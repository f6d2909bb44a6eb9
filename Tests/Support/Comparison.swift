/// The largest absolute difference between `actual` and `expected`, element by element;
/// infinity when their counts differ or both are empty, so that no tolerance accepts output
/// that is missing, short or long.
public func largestDifference<A: Collection, E: Collection>(_ actual: A, _ expected: E) -> Float
where A.Element == Float, E.Element == Float {
    guard actual.count == expected.count, !actual.isEmpty else { return .infinity }
    return zip(actual, expected).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
