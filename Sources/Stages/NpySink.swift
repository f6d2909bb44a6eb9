import ArrayFiles
import StageKit

/// Writes a numeric stream (features, embeddings, posteriors) as a NumPy .npy array of rows.
public final class NpySink: Stage {
    public static let path = Parameter<String>("path", path: .output, default: "{stem}.npy", doc: "file to write")
    public static let firstColumn = Parameter<Int>("first-column", default: 0, range: 0...1_048_576,
                                                   doc: "write each row from this column (0 is the first)")
    public static let columns = Parameter<Int>("columns", default: 0, range: 0...1_048_576,
                                               doc: "columns to write from first-column; 0 means the rest of the row")

    public static let info = StageInfo(
        name: "npy-sink",
        summary: "Writes feature frames, embeddings or posteriors as a NumPy .npy array (rows × width, float32).",
        inputs: [PortSpec("in", .features, .embedding, .posterior, doc: "rows of numbers")],
        parameters: [path, firstColumn, columns])

    private let path: String
    private let outputs: OutputFiles
    private let firstColumn: Int
    private let requestedColumns: Int
    private var columns: Range<Int> = 0..<0
    private var inputWidth = 0
    private var writer: NpyWriter?

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters[Self.path]
        outputs = context.outputs
        firstColumn = parameters[Self.firstColumn]
        requestedColumns = parameters[Self.columns]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        inputWidth = inputs[0].width
        let end = requestedColumns == 0 ? inputWidth : firstColumn + requestedColumns
        guard firstColumn < end, end <= inputWidth else {
            throw StageError.format(port: "in", message: "columns \(firstColumn)..<\(end) are not within the \(inputWidth) columns it receives")
        }
        columns = firstColumn..<end
        writer = try naming(output: path) { try NpyWriter(path: outputs.temporaryPath(for: path), columns: columns.count) }
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if columns.count == inputWidth {
            try naming(output: path) { try writer?.append(block.values) }
            return
        }
        var slice = [Float]()
        slice.reserveCapacity(block.rows * columns.count)
        for row in 0..<block.rows {
            slice += block.values[(row * block.width + columns.lowerBound)..<(row * block.width + columns.upperBound)]
        }
        try naming(output: path) { try writer?.append(slice) }
    }

    public func finish(output: Output) throws {
        try naming(output: path) { try writer?.close() }
        writer = nil
    }

    /// Lets go of the file (closed when released) if `finish` did not run.
    public func close() {
        writer = nil
    }
}
