import ArgumentParser
import Foundation
import Neural

struct TrainSelfDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfdistill",
        abstract: "Fine-tune a wav2vec2 / HuBERT encoder together with early-exit heads (self-distillation) and write the exit folder.",
        discussion: """
            Decodes every clip to 16 kHz as `train teacher` does (sharing its audio folder), then runs the \
            training package in .venv: heads (GRU, layer norm, SELU, mean, Linear → 256, Linear → classes) after \
            each layer of --exits and after the last layer (the deepest, the teacher of the others), trained with \
            the encoder on CE(deepest) + the mean over the other exits of [CE + T²·KL(to the deepest) + \
            MSE(pooled features)], early stopping on the deepest exit's dev UA. Writes the encoder checkpoint \
            (config.json, model.safetensors) and the heads (exits.safetensors, exits.json), which the \
            wav2vec2-early-exit stage and `sergraph eval` run. Options not listed here go to the trainer: \
            --freeze-below N, --gru-hidden, --temperature, --crop, --epochs, --patience, --batch-size, --lr, \
            --head-lr, --seed, --threads (`.venv/bin/python -m sergraph_train selfdistill --help` describes them).
            """)

    @Option(help: "Hugging Face checkpoint folder of the encoder (a *Model or *ForSequenceClassification: config.json, model.safetensors).")
    var encoder: String

    @OptionGroup var corpus: TrainingCorpus

    @Option(help: "Transformer layers after which an exit sits, comma-separated (e.g. 3,8,10); the last layer is always one.")
    var exits: String

    @Option(name: .shortAndLong, help: "Folder to write (config.json, model.safetensors, exits.safetensors, exits.json).")
    var output: String

    @OptionGroup var audio: DecodedAudio

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var trainerOptions: [String] = []

    func run() throws {
        try checkExits()
        let environment = try TrainingEnvironment.find()
        let audioFolder = try audio.decode(corpus)
        try environment.run(["selfdistill", "--encoder", encoder, "--data", corpus.data, "--audio", audioFolder, "--exits", exits,
                             "-o", output, "--labels", corpus.labels, "--command", typedCommandLine()] + trainerOptions)
    }

    /// Refuses, before any audio is decoded, an --exits that is not a list of layers or names a
    /// layer the encoder does not have.
    private func checkExits() throws {
        let layers: Int
        do {
            layers = try Wav2Vec2Config(path: (encoder as NSString).appendingPathComponent("config.json")).layers
        } catch {
            printError("error: --encoder: \(error)")
            throw ExitCode(2)
        }
        let values = exits.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--exits '\(exits)' is not a comma-separated list of layers, e.g. 3,8,10")
        }
        let outside = values.compactMap { $0 }.filter { !(1...layers).contains($0) }
        guard outside.isEmpty else {
            printError("error: --exits \(outside.map(String.init).joined(separator: ",")): the encoder in \(encoder) has \(layers) "
                       + "transformer layers (num_hidden_layers in its config.json), so exits are layers 1 to \(layers)")
            throw ExitCode(2)
        }
    }
}
