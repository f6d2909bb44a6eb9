import ArrayFiles
import Foundation
import Testing
import TestSupport

/// `sergraph train selfdistill`: the tiny test encoder fine-tuned with exit heads by the package in
/// .venv, its folder run natively (wav2vec2-early-exit, eval) as PyTorch runs it.
@Suite struct TrainSelfDistillCommandTests {
    static let encoder = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"

    /// A 20-clip corpus of four espeak-ng voices (one each in dev and test).
    private func corpus(_ folder: TemporaryFolder) throws -> String {
        let made = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file("corpus"), "--clips-per-class", "4",
                                                       "--voices", "en-us+m3,en-gb+f2,en-029+m1,en-gb-x-rp+f4", "--splits", "0.25:0.25"])
        try #require(made.status == 0, "\(made.stderr)")
        return folder.file("corpus/manifest.csv")
    }

    /// PyTorch's posteriors of every exit for each clip (its decoded 16 kHz audio, whole), by manifest path and exit.
    private func pytorchPosteriors(model: String, manifest: String, audio: String) throws -> [String: [String: [Double]]] {
        let script = """
            import json, pathlib, sys, torch
            from transformers import AutoModel
            from sergraph_train.audio import read_wav
            from sergraph_train.exits import read_exit_heads
            encoder, heads = AutoModel.from_pretrained(sys.argv[1]).eval(), read_exit_heads(sys.argv[1])
            out = {}
            for line in pathlib.Path(sys.argv[2]).read_text().splitlines()[1:]:
                path = line.split(",")[0]
                x = torch.from_numpy(read_wav(pathlib.Path(sys.argv[3]) / pathlib.Path(path).with_suffix(".wav")))[None]
                with torch.no_grad():
                    states = encoder(x, output_hidden_states=True).hidden_states
                    out[path] = {str(k): torch.softmax(v[0].double(), dim=1)[0].tolist() for k, v in heads(states).items()}
            print(json.dumps(out))
            """
        let result = try runCommandWithEnvironment(["PYTHONPATH": packageRoot + "/training"], packageRoot + "/.venv/bin/python",
                                                   ["-c", script, model, manifest, audio])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: [Double]]])
    }

    @Test func aSelfDistilledFolderRunsNativelyAsInPyTorch() throws {
        let folder = try TemporaryFolder("train-selfdistill")
        let manifest = try corpus(folder)
        let model = folder.file("exits")
        let run = try runCommand(sergraphExecutable, ["train", "selfdistill", "--encoder", Self.encoder, "--data", manifest, "--exits", "1,2",
                                                      "-o", model, "--epochs", "2", "--threads", "1", "--gru-hidden", "16", "--crop", "1",
                                                      "--freeze-below", "1"])
        try #require(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("epoch 2/2"), "\(run.stdout)")
        let description = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/exits.json"))) as? [String: Any])
        #expect(description["exits"] as? [Int] == [1, 2, 3])
        #expect((description["training"] as? [String: Any])?["command"] as? String == "sergraph train selfdistill --encoder \(Self.encoder) --data \(manifest) --exits 1,2 -o \(model) --epochs 2 --threads 1 --gru-hidden 16 --crop 1 --freeze-below 1")

        // Every exit through the native stage, each clip whole, against PyTorch on the same folder.
        let reference = try pytorchPosteriors(model: model, manifest: manifest, audio: folder.file("corpus/features/audio-16k"))
        #expect(reference.count == 20)
        for exit in ["1", "2", "3"] {
            let graph = folder.file("exit-\(exit).yaml")
            try """
                chain:
                  - file-source: {channel: mix}
                  - resample: {rate: 16000}
                  - wav2vec2-early-exit: {model: \(model), window: 0, exit: \(exit)}
                  - {type: npy-sink, from: wav2vec2-early-exit.out, path: "{stem}.npy"}
                """.write(toFile: graph, atomically: true, encoding: .utf8)
            let out = folder.file("out-\(exit)")
            let process = try runCommand(sergraphExecutable, ["process", graph, folder.file("corpus"), "-o", out])
            try #require(process.status == 0, "\(process.stderr)")
            for (path, exits) in reference {
                let native = try NpyArray(path: out + "/" + (path as NSString).deletingPathExtension + ".npy").values.map(Double.init)
                let comparison = ValueComparison(native, try #require(exits[exit]))
                #expect(comparison.isWithin(1e-4), "\(path) exit \(exit): \(comparison)")
            }
        }
        let eval = try runCommand(sergraphExecutable, ["eval", model, "--data", manifest, "--split", "all", "--json", "--png", folder.file("e.png")])
        try #require(eval.status == 0, "\(eval.stderr)")
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ["exit 1", "exit 2", "exit 3", "auto"])
    }

    @Test func exitsBeyondTheEncoderAreRefusedFirst() throws {
        let folder = try TemporaryFolder("train-selfdistill-refusals")
        let manifest = try corpus(folder)
        let deep = try runCommand(sergraphExecutable, ["train", "selfdistill", "--encoder", Self.encoder, "--data", manifest,
                                                       "--exits", "2,5", "-o", folder.file("m")])
        #expect(deep.status == 2, "\(deep.stderr)")
        #expect(deep.stderr.contains("--exits 5: the encoder in \(Self.encoder) has 3 transformer layers (num_hidden_layers in its config.json), so exits are layers 1 to 3"),
                "\(deep.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("corpus/features/audio-16k")))  // refused before decoding
        let words = try runCommand(sergraphExecutable, ["train", "selfdistill", "--encoder", Self.encoder, "--data", manifest,
                                                        "--exits", "three", "-o", folder.file("m")])
        #expect(words.status != 0 && words.stderr.contains("--exits 'three' is not a comma-separated list of layers"), "\(words.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("m")))
    }
}
