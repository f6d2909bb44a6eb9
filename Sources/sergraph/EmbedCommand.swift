import ArgumentParser
import Foundation
import Neural
import SERGraph

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each file's wav2vec2/HuBERT hidden states as NumPy .npy files (frames × width).",
        discussion: """
            MODEL_DIR is a Hugging Face folder (config.json, model.safetensors). Runs file-source (mixed to \
            mono) → resample (16 kHz) → wav2vec2-encoder → one npy-sink per hidden state, as `process` does: \
            resumable, with progress. DIR/STEM.layer-I.npy holds hidden state I (0 is before the first \
            transformer layer). Long files are encoded in segments of --segment seconds overlapping by \
            --overlap; each segment keeps the frames up to the middle of each overlap, so memory stays \
            bounded whatever the length. Existing outputs are skipped unless --force.
            """)

    @Argument(help: "The model folder.")
    var model: String

    @Argument(help: "Audio files, and folders to search recursively.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Folder for the .npy files.")
    var output: String

    @Option(help: "Hidden states to write, e.g. 0,6,12 (default: all). Layers after the last one asked for are not run.")
    var layers: String?

    @Option(help: "float32, or bfloat16 or int8 for the transformer's matrix products (faster, within about 1 % and 3 %).")
    var precision: Precision = .float32

    @Option(help: "Seconds of audio per encoder pass (0: a whole file at once, memory growing with its square).")
    var segment = 20.0

    @Option(help: "Seconds shared by neighbouring segments.")
    var overlap = 4.0

    @Option(help: "BLAS threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .shortAndLong, help: "Files processed at once (default 1: the encoder uses every core).")
    var jobs = 1

    @Flag(help: "Write even when the outputs exist.")
    var force = false

    func run() throws {
        BLAS.threads = threads
        let registry = makeRegistry()
        try runBatch({ try GraphValidator(registry: registry).validate(try spec()) }, inputs: inputs, output: output, jobs: jobs, force: force)
    }

    /// file-source → resample → wav2vec2-encoder (the states asked for, side by side) → one
    /// npy-sink per state, each writing its columns.
    private func spec() throws -> GraphSpec {
        let config: Wav2Vec2Config
        do {
            config = try Wav2Vec2Config(path: (model as NSString).appendingPathComponent("config.json"))
        } catch {
            throw ValidationError("error: \(error)")
        }
        let selected = try layers.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let index = Int(part.trimmingCharacters(in: .whitespaces)), (0...config.layers).contains(index) else {
                    throw ValidationError("error: --layers takes indices from 0 to \(config.layers), got '\(text)'")
                }
                return index
            }
        }?.reduce(into: [Int]()) { unique, index in if !unique.contains(index) { unique.append(index) } } ?? Array(0...config.layers)
        let depth = selected.max() ?? config.layers
        var stages = [
            generatedStage("source", "file-source", [("channel", "mix")], from: nil),
            generatedStage("resample", "resample", [("rate", "16000"), ("quality", "very-high")], from: "source"),
            generatedStage("encoder", "wav2vec2-encoder", [
                ("model", model), ("window", "0"), ("pooling", "frames"), ("combine", "concat"),
                ("output-layers", selected.map(String.init).joined(separator: ",")), ("layers", depth == 0 ? "1" : String(depth)),
                ("precision", precision.rawValue), ("segment", segment.formatted), ("overlap", overlap.formatted),
            ], from: "resample"),
        ]
        for (position, index) in selected.enumerated() {
            stages.append(generatedStage("layer-\(index)", "npy-sink", [
                ("path", "{stem}.layer-\(index).npy"), ("first-column", String(position * config.hiddenSize)),
                ("columns", String(config.hiddenSize)),
            ], from: "encoder"))
        }
        return GraphSpec(file: ChainParser.file, stages: stages)
    }
}
