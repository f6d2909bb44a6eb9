import Foundation

/// Row vectors of one width, L2-normalised so that dot products are cosine similarities.
public struct NormalizedEmbeddings: Sendable {
    /// The rows, one after another (count × dimension).
    public let values: [Float]
    public let count: Int
    public let dimension: Int

    /// Normalises each of `count` rows of `values` to unit length; an all-zero row stays zero
    /// (similarity 0 with everything).
    /// - Throws: `NeighbourGraphError` if `values` is not count × dimension, or holds a value that is not finite (naming the row).
    public init(_ values: [Float], count: Int, dimension: Int) throws {
        guard dimension > 0, values.count == count * dimension else {
            throw NeighbourGraphError("\(values.count) values are not \(count) rows of \(dimension)")
        }
        var normalized = values
        for row in 0..<count {
            let slice = (row * dimension)..<((row + 1) * dimension)
            guard values[slice].allSatisfy(\.isFinite) else { throw NeighbourGraphError("row \(row) holds a value that is not finite") }
            let norm = values[slice].reduce(Double(0)) { $0 + Double($1) * Double($1) }.squareRoot()
            if norm > 0 { for index in slice { normalized[index] = Float(Double(values[index]) / norm) } }
        }
        self.values = normalized
        self.count = count
        self.dimension = dimension
    }
}

/// Embeddings or options that cannot make a graph, said plainly.
public struct NeighbourGraphError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
