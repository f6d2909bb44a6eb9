import ArgumentParser
import ArrayFiles
import AudioFiles
import DSP
import Foundation
import Neural
import SERGraph
import StageKit

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each file's wav2vec2/HuBERT hidden states as NumPy .npy files (frames × width).",
        discussion: """
            MODEL_DIR is a Hugging Face folder (config.json, model.safetensors). Files are mixed to mono and \
            resampled to 16 kHz. For every input, DIR/STEM.layer-I.npy holds hidden state I (0 is before the \
            first transformer layer). Existing outputs are skipped unless --force.
            """)

    @Argument(help: "The model folder.")
    var model: String

    @Argument(help: "Audio files, and folders to search recursively.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Folder for the .npy files.")
    var output: String

    @Option(help: "Hidden states to write, e.g. 0,6,12 (default: all). Layers after the last one asked for are not run.")
    var layers: String?

    @Option(help: "float32, or bfloat16 for the transformer's matrix products (faster, within about 1 %).")
    var precision: Precision = .float32

    @Option(help: "BLAS threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Write even when the outputs exist.")
    var force = false

    func run() throws {
        let encoder: Wav2Vec2Encoder
        let files: [BatchInput]
        let selected: [Int]
        do {
            encoder = try Wav2Vec2Encoder(folder: model, precision: precision)
            files = try collectInputs(inputs, extensions: audioFileExtensions) { printError("warning: \($0)") }
            selected = try layers.map { text in
                try text.split(separator: ",").map { part -> Int in
                    guard let index = Int(part.trimmingCharacters(in: .whitespaces)), (0...encoder.config.layers).contains(index) else {
                        throw ValidationError("--layers takes indices from 0 to \(encoder.config.layers), got '\(text)'")
                    }
                    return index
                }
            } ?? Array(0...encoder.config.layers)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        BLAS.threads = threads
        var failures = 0
        for (number, file) in files.enumerated() {
            let paths = selected.map { (output as NSString).appendingPathComponent("\(file.stem).layer-\($0).npy") }
            if !force && paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
                printError("[\(number + 1)/\(files.count)] \(file.path): skipped, outputs exist")
                continue
            }
            do {
                let started = Date()
                let samples = try Self.load16k(file.path)
                let states = try encoder.encode(samples, layers: selected.max()).hiddenStates
                let outputs = OutputFiles()
                for (index, path) in zip(selected, paths) {
                    let writer = try NpyWriter(path: outputs.temporaryPath(for: path), columns: states[index].columns)
                    try writer.append(states[index].values)
                    try writer.close()
                }
                try outputs.commit()
                let seconds = Double(samples.count) / 16000
                printError(String(format: "[%d/%d] %@: %d frames, %.1f s of audio in %.2f s", number + 1, files.count, file.path,
                                  states[0].rows, seconds, Date().timeIntervalSince(started)))
            } catch {
                failures += 1
                printError("error: \(file.path): \(error)")
            }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// The file, mixed to mono and resampled to 16 kHz.
    static func load16k(_ path: String) throws -> [Float] {
        let reader = try AudioFileReader(path: path)
        let mono = mixToMono(try reader.readAll(), channels: reader.channels)
        guard reader.sampleRate != 16000 else { return mono }
        let resampler = try Resampler(inputRate: reader.sampleRate, outputRate: 16000, channels: 1, quality: .veryHigh)
        var out: [Float] = []
        try resampler.process(mono, appendingTo: &out)
        try resampler.flush(appendingTo: &out)
        return out
    }
}
