import ArgumentParser
import Corpora
import Foundation
import StageKit
import SERGraph

struct TrainTeacher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher",
        abstract: "Train a wav2vec2 teacher (transformers Wav2Vec2ForSequenceClassification) on a manifest's audio.",
        discussion: """
            First decodes every clip with sergraph's own file-source (mixed to mono) and resampler into 16 kHz \
            float WAVs in the audio folder, skipping clips already there: the audio the wav2vec2-classifier \
            stage hears. Then runs the training package (training/sergraph_train) in .venv, which \
            `bash scripts/setup` makes, and writes the checkpoint with save_pretrained (config.json with the \
            labels as id2label, model.safetensors, and training.json). Options not listed here go to the \
            trainer: --from DIR, --freeze-encoder, --config JSON, --epochs, --patience, --batch-size, --lr, \
            --crop-seconds, --seed, --threads, --dtype float32|float16, --json \
            (`.venv/bin/python -m sergraph_train teacher --help` describes them).
            """)

    @OptionGroup var corpus: TrainingCorpus

    @Option(name: .shortAndLong, help: "Checkpoint folder to write (config.json, model.safetensors, training.json).")
    var output: String

    @OptionGroup var audio: DecodedAudio

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var trainerOptions: [String] = []

    func run() throws {
        let environment = try TrainingEnvironment.find()
        let audioFolder = try audio.decode(corpus)
        try environment.run(["teacher", "--data", corpus.data, "--audio", audioFolder, "-o", output, "--labels", corpus.labels,
                             "--command", typedCommandLine()] + trainerOptions)
    }
}

/// Where the clips decoded to 16 kHz go, shared by the trainers of wav2vec2 models.
struct DecodedAudio: ParsableArguments {
    @Option(help: "Folder of the clips decoded to 16 kHz (default: features/audio-16k next to the manifest).")
    var audio: String?

    /// Decodes the corpus's clips into the folder as PATH-without-extension.wav (32-bit float,
    /// mono, 16 kHz: what the wav2vec2 stages hear), skipping those already there; returns the folder.
    func decode(_ corpus: TrainingCorpus) throws -> String {
        let manifest = try corpus.read()
        let manifestFolder = parentFolder(of: corpus.data)
        let folder = audio ?? (manifestFolder as NSString).appendingPathComponent("features/audio-16k")
        let files = batchInputs(manifest, manifestFolder: manifestFolder)
        printError("audio: \(files.count) clips at 16 kHz into \(folder)")
        let registry = makeRegistry()
        try runBatch({
            try GraphValidator(registry: registry).validate(GraphSpec(file: ChainParser.file, stages: [
                generatedStage("source", "file-source", [("channel", "mix")], from: nil),
                generatedStage("resample", "resample", [("rate", "16000")], from: "source"),
                generatedStage("sink", "audio-file-sink", [("path", "{stem}.wav"), ("encoding", "float")], from: "resample"),
            ]))
        }, files: files, output: folder, jobs: corpus.jobs, force: false)
        return folder
    }
}
