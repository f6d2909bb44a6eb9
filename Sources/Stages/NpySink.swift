import ArrayFiles
import StageKit

/// Writes a numeric stream (features, embeddings, posteriors) as a NumPy .npy array of rows.
public final class NpySink: Stage {
    public static let info = StageInfo(
        name: "npy-sink",
        summary: "Writes feature frames, embeddings or posteriors as a NumPy .npy array (rows × width, float32).",
        inputs: [PortSpec("in", .features, .embedding, .posterior, doc: "rows of numbers")],
        parameters: [ParameterSpec("path", .outputPath, default: .text("{stem}.npy"), doc: "file to write")])

    private let path: String
    private let outputs: OutputFiles
    private var writer: NpyWriter?

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters.text("path")
        outputs = context.outputs
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        writer = try NpyWriter(path: outputs.temporaryPath(for: path), columns: inputs[0].width)
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        try writer?.append(block.values)
    }

    public func finish(output: Output) throws {
        try writer?.close()
    }
}
