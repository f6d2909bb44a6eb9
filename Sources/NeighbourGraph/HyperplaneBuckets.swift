import Foundation

/// Random-hyperplane hashing: `splits` hyperplanes through the origin, with Gaussian normals;
/// a row's bucket is the pattern of the sides it lies on, so rows at a small angle share a
/// bucket with high probability.
struct HyperplaneBuckets {
    /// The rows of each non-empty bucket, in increasing order.
    let buckets: [[Int]]

    init(_ embeddings: NormalizedEmbeddings, splits: Int, generator: inout some RandomNumberGenerator) {
        let dimension = embeddings.dimension
        let normals = (0..<(splits * dimension)).map { _ in Self.gaussian(&generator) }
        var byCode: [Int: [Int]] = [:]
        for row in 0..<embeddings.count {
            var code = 0
            for split in 0..<splits {
                var side: Float = 0
                for column in 0..<dimension { side += normals[split * dimension + column] * embeddings.values[row * dimension + column] }
                if side >= 0 { code |= 1 << split }
            }
            byCode[code, default: []].append(row)
        }
        buckets = byCode.keys.sorted().map { byCode[$0]! }
    }

    /// A standard normal value (Box–Muller).
    private static func gaussian(_ generator: inout some RandomNumberGenerator) -> Float {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
}
