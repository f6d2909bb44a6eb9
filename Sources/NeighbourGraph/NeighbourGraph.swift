import Foundation
import Neural

/// A similarity graph over embeddings as Neural Structured Learning builds it: an edge from each
/// row to its most similar rows (cosine similarity at least a threshold, at most `maxNeighbours`
/// of them), found among all pairs or among the pairs that random-hyperplane hashing puts in one bucket.
public struct NeighbourGraph: Sendable {
    /// A directed edge: `target` is among `source`'s nearest rows, `weight` their cosine similarity.
    public struct Edge: Sendable, Equatable {
        public var source: Int
        public var target: Int
        public var weight: Float
        public init(source: Int, target: Int, weight: Float) {
            self.source = source
            self.target = target
            self.weight = weight
        }
    }

    /// How candidates are found: every pair, or `rounds` hashings by `splits` random hyperplanes each
    /// (rows whose signs agree on every hyperplane of a round share its bucket).
    public enum Search: Sendable, Equatable {
        case allPairs
        case hashing(splits: Int, rounds: Int)
    }

    public struct Options: Sendable {
        /// The least cosine similarity of an edge.
        public var threshold: Float
        /// Edges kept per row: its most similar rows (ties go to the earlier row).
        public var maxNeighbours: Int
        /// Adds the reverse of every edge (a row may then have more than `maxNeighbours` edges).
        public var undirected: Bool
        public var search: Search
        /// Rows compared at once per worker: a block's similarities take blockRows² floats.
        public var blockRows: Int
        /// Parallel workers (each runs its own single-threaded products).
        public var workers: Int

        public init(threshold: Float = 0.99, maxNeighbours: Int = 9, undirected: Bool = false, search: Search = .allPairs,
                    blockRows: Int = 1024, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
            self.threshold = threshold
            self.maxNeighbours = maxNeighbours
            self.undirected = undirected
            self.search = search
            self.blockRows = blockRows
            self.workers = workers
        }
    }

    public let nodes: Int
    /// Sorted by source, then by weight (highest first), then by target.
    public let edges: [Edge]

    /// Builds the graph of `embeddings` (BLAS products of blocks of rows; the caller sets BLAS to
    /// one thread when `workers` > 1); hashing draws its hyperplanes from `generator`.
    /// - Throws: `NeighbourGraphError` for options out of range.
    public init(_ embeddings: NormalizedEmbeddings, options: Options, generator: inout some RandomNumberGenerator) throws {
        guard options.maxNeighbours >= 1 else { throw NeighbourGraphError("max-neighbours must be at least 1, not \(options.maxNeighbours)") }
        guard options.threshold.isFinite, (-1...1).contains(options.threshold) else {
            throw NeighbourGraphError("threshold \(options.threshold) is not a cosine similarity (-1...1)")
        }
        guard options.blockRows >= 1, options.workers >= 1 else { throw NeighbourGraphError("block rows and workers must be at least 1") }
        let nearest = NearestRows(count: embeddings.count, keep: options.maxNeighbours, threshold: options.threshold)
        switch options.search {
        case .allPairs:
            let blocks = Self.chunks(Array(0..<embeddings.count), options.blockRows)
            Self.compare(blocks: blocks, against: { _ in blocks }, embeddings, options, into: nearest)
        case .hashing(let splits, let rounds):
            guard (1...30).contains(splits), rounds >= 1 else {
                throw NeighbourGraphError("LSH needs 1...30 splits and at least 1 round, not \(splits) splits and \(rounds) rounds")
            }
            for _ in 0..<rounds {
                let buckets = HyperplaneBuckets(embeddings, splits: splits, generator: &generator).buckets
                // Within a round every row is in one bucket: blocks of one bucket's rows, against the whole bucket.
                let chunked = buckets.map { Self.chunks($0, options.blockRows) }
                let bucketOfBlock = chunked.enumerated().flatMap { bucket, blocks in blocks.map { _ in bucket } }
                Self.compare(blocks: chunked.flatMap { $0 }, against: { chunked[bucketOfBlock[$0]] }, embeddings, options, into: nearest)
            }
        }
        nodes = embeddings.count
        var edges = nearest.edges()
        if options.undirected {
            var seen = Set(edges.map { Pair($0.source, $0.target) })
            for edge in edges where seen.insert(Pair(edge.target, edge.source)).inserted {
                edges.append(Edge(source: edge.target, target: edge.source, weight: edge.weight))
            }
        }
        self.edges = edges.sorted { ($0.source, -$0.weight, $0.target) < ($1.source, -$1.weight, $1.target) }
    }

    private struct Pair: Hashable {
        let a: Int, b: Int
        init(_ a: Int, _ b: Int) { self.a = a; self.b = b }
    }

    private static func chunks(_ rows: [Int], _ size: Int) -> [[Int]] {
        stride(from: 0, to: rows.count, by: size).map { Array(rows[$0..<min(rows.count, $0 + size)]) }
    }

    /// For each block of rows (in parallel), the similarities with each chunk of candidate rows
    /// that `against` gives for it (chunks of at most blockRows rows: memory stays bounded); every
    /// row is in one block, so each worker writes only its own rows' neighbours.
    private static func compare(blocks: [[Int]], against: (Int) -> [[Int]], _ embeddings: NormalizedEmbeddings, _ options: Options,
                                into nearest: NearestRows) {
        let dimension = embeddings.dimension
        let next = NSLock()
        var taken = 0
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.workers, blocks.count))) { _ in
            var left = [Float](), right = [Float](), similarities = [Float]()
            while true {
                let block: Int = next.withLock { defer { taken += 1 }; return taken }
                guard block < blocks.count else { return }
                let rows = blocks[block]
                gather(rows, embeddings, into: &left)
                for columns in against(block) where !columns.isEmpty {
                    gather(columns, embeddings, into: &right)
                    if similarities.count < rows.count * columns.count { similarities = [Float](repeating: 0, count: rows.count * columns.count) }
                    left.withUnsafeBufferPointer { l in
                        right.withUnsafeBufferPointer { r in
                            similarities.withUnsafeMutableBufferPointer { s in
                                BLAS.gemm(l.baseAddress!, r.baseAddress!, transposeB: true, s.baseAddress!,
                                          m: rows.count, n: columns.count, k: dimension)
                            }
                        }
                    }
                    similarities.withUnsafeBufferPointer { s in
                        for (position, row) in rows.enumerated() {
                            nearest.offer(row, candidates: columns, similarities: s, from: position * columns.count)
                        }
                    }
                }
            }
        }
    }

    private static func gather(_ rows: [Int], _ embeddings: NormalizedEmbeddings, into buffer: inout [Float]) {
        let dimension = embeddings.dimension
        buffer.removeAll(keepingCapacity: true)
        for row in rows { buffer += embeddings.values[(row * dimension)..<((row + 1) * dimension)] }
    }
}
