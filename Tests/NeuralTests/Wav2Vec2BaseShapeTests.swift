import ArrayFiles
import Foundation
import Neural
import Testing
import TestSupport

/// The encoder at real sizes against PyTorch: a wav2vec2-base-shaped random model (512-channel
/// convolutions, 768 wide, 12 heads, 3072 inner, 128-tap positional convolution in 16 groups,
/// 2 layers) on 15 s of audio, where the convolutions run in several chunks and attention
/// heads in parallel. Its weights (about 100 MB) are not committed: the first run writes them
/// into .build/ with `scripts/neural/make_wav2vec2_fixtures.py --base-shaped`, which needs the
/// Python environment of scripts/setup (.venv, torch and transformers); without it the test is
/// skipped and says why. Tolerance: max absolute error ≤ 1e-4 on every layer's output.
@Suite(.enabled("needs the base-shaped fixture, written by scripts/neural/make_wav2vec2_fixtures.py with torch") {
    guard case .failure(let problem) = BaseShapedFixture.folder, problem.skips else { return true }
    print("Wav2Vec2BaseShapeTests skipped: \(problem)")
    return false
})
struct Wav2Vec2BaseShapeTests {
    @Test func everyLayerMatchesPyTorch() throws {
        let folder = try BaseShapedFixture.folder.get() + "/"
        let encoder = try Wav2Vec2Encoder(folder: folder)
        #expect(encoder.config.hiddenSize == 768 && encoder.config.heads == 12 && encoder.config.positionalKernel == 128
                && encoder.config.positionalGroups == 16 && encoder.config.layers == 2)
        let input = try NpyArray(path: folder + "input.npy").values
        #expect(input.count == 15 * 16000)
        let output = try encoder.encode(input)
        #expect(output.hiddenStates.count == 3)
        var errors: [(String, Tensor)] = [("conv_features", output.convolutionFeatures), ("extract_features", output.extractFeatures),
                                          ("last_hidden_state", output.lastHiddenState)]
        errors += output.hiddenStates.enumerated().map { ("hidden_state_\($0.offset)", $0.element) }
        var report: [String] = []
        for (name, ours) in errors {
            let reference = try NpyArray(path: folder + name + ".npy")
            let comparison = ValueComparison(ours.values, reference.values, shape: ours.shape,
                                             expectedShape: [reference.rows, reference.columns])
            report.append(String(format: "%@ %.2e", name, comparison.worst))
            #expect(comparison.isWithin(1e-4), "\(name): \(comparison)")
        }
        print("parity base-shaped (749 frames, \(BLAS.threads) threads): " + report.joined(separator: ", "))
    }
}

/// The base-shaped model folder in .build/, written once per version of the script.
enum BaseShapedFixture {
    /// Why there is no fixture: Python without torch (the test is skipped) or a script that
    /// failed (the test fails).
    struct Problem: Error, CustomStringConvertible {
        var description: String
        var skips: Bool
    }

    static let script = packageRoot + "/scripts/neural/make_wav2vec2_fixtures.py"
    static let directory = packageRoot + "/.build/fixtures/wav2vec2-base-shaped"

    /// The folder, made now if it is missing or was written by another version of the script.
    static let folder: Result<String, Problem> = {
        let stamp = directory + "/generator.py"
        guard let generator = FileManager.default.contents(atPath: script) else {
            return .failure(Problem(description: "no \(script)", skips: false))
        }
        if FileManager.default.contents(atPath: stamp) == generator { return .success(directory) }
        let venv = packageRoot + "/.venv/bin/python"
        let python = FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
        guard let probe = try? runCommand(python, ["-c", "import torch, transformers"]), probe.status == 0 else {
            return .failure(Problem(description: "\(python) has no torch and transformers (scripts/setup installs them into .venv)",
                                    skips: true))
        }
        do {
            let made = try runCommand(python, [script, "--base-shaped", directory])
            guard made.status == 0 else {
                return .failure(Problem(description: "\(script) --base-shaped failed: \(made.stderr.suffix(500))", skips: false))
            }
            print(made.stdout)
            try generator.write(to: URL(fileURLWithPath: stamp))
        } catch {
            return .failure(Problem(description: "\(script) --base-shaped did not run: \(error)", skips: false))
        }
        return .success(directory)
    }()
}
