import Testing
import TestSupport

/// The tests' comparison helper fails on what `zip` would let through.
@Suite struct ValueComparisonTests {
    @Test func shortOrLongOutputNeverPasses() {
        #expect(!ValueComparison([1, 2] as [Float], [1, 2, 3] as [Float]).isWithin(.infinity))
        #expect(ValueComparison([1, 2] as [Float], [1, 2, 3] as [Float]).description == "2 values where 3 were expected")
        #expect(!ValueComparison([] as [Float], [] as [Float]).isWithin(1))
        #expect(!ValueComparison([1, .nan] as [Float], [1, 2] as [Double]).isWithin(1))
    }

    @Test func shapesAreComparedBeforeValues() {
        let comparison = ValueComparison([Float](repeating: 0, count: 6), [Float](repeating: 0, count: 6), shape: [2, 3], expectedShape: [3, 2])
        #expect(!comparison.isWithin(1))
        #expect(comparison.description == "shape [2, 3] where [3, 2] was expected")
    }

    @Test func theWorstDifferenceIsNamedWithItsPlace() {
        let comparison = ValueComparison([1, 2, 3, 4.5] as [Float], [1, 2, 3, 4] as [Double], shape: [2, 2], expectedShape: [2, 2], scale: 2)
        #expect(comparison.worst == 0.25 && comparison.worstIndex == 3)
        #expect(comparison.isWithin(0.25) && !comparison.isWithin(0.2))
        #expect(comparison.description == "largest difference 0.25 at index 3 [1, 1]: 4.5 where 4.0 was expected")
    }
}
