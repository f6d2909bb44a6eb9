/// What a neighbour graph looks like: its size, its degrees, and how often neighbours share a label.
public struct GraphStatistics: Sendable, Equatable {
    public var nodes: Int
    public var edges: Int
    /// Edges per node (out-degree).
    public var meanDegree: Double
    /// Nodes with no edge in either direction.
    public var isolated: Int
    /// The share of edges between labelled nodes whose two ends have the same label (nil without such edges).
    public var sameLabel: Double?
    /// The share two labelled nodes drawn at random would have: Σ p(label)² (nil without labels).
    public var sameLabelByChance: Double?

    /// The statistics of `graph`; `labels` gives each node's label, by node index ("" for an unlabelled node).
    public init(_ graph: NeighbourGraph, labels: [String]? = nil) {
        nodes = graph.nodes
        edges = graph.edges.count
        meanDegree = graph.nodes > 0 ? Double(graph.edges.count) / Double(graph.nodes) : 0
        var connected = [Bool](repeating: false, count: graph.nodes)
        for edge in graph.edges {
            connected[edge.source] = true
            connected[edge.target] = true
        }
        isolated = connected.filter { !$0 }.count
        if let labels, labels.count == graph.nodes {
            let labelled = graph.edges.filter { !labels[$0.source].isEmpty && !labels[$0.target].isEmpty }
            let shared = labelled.filter { labels[$0.source] == labels[$0.target] }.count
            sameLabel = labelled.isEmpty ? nil : Double(shared) / Double(labelled.count)
            let known = labels.filter { !$0.isEmpty }
            let counts = Dictionary(known.map { ($0, 1) }, uniquingKeysWith: +).values
            sameLabelByChance = known.isEmpty ? nil : counts.reduce(0) { $0 + Double($1 * $1) } / Double(known.count * known.count)
        }
    }
}

extension NeighbourGraph {
    /// The graph in the TSV layout of Neural Structured Learning's tools: one edge per line,
    /// `source id<TAB>target id<TAB>weight`, the ids being `ids[node]`.
    /// - Throws: `NeighbourGraphError` if `ids` does not name every node, or an id holds a tab or a line break.
    public func tsv(ids: [String]) throws -> String {
        guard ids.count == nodes else { throw NeighbourGraphError("\(ids.count) ids for \(nodes) nodes") }
        if let bad = ids.firstIndex(where: { $0.contains { "\t\n\r".contains($0) } }) {
            throw NeighbourGraphError("id \(bad) ('\(ids[bad])') holds a tab or a line break, which the TSV layout cannot carry")
        }
        var text = ""
        for edge in edges { text += "\(ids[edge.source])\t\(ids[edge.target])\t\(edge.weight)\n" }
        return text
    }
}
