import ArrayFiles
import Foundation
import Neural
import Testing
import TestSupport

/// The student CNN against PyTorch (Tests/Fixtures/student, made by
/// scripts/neural/make_student_fixtures.py): posteriors and embeddings within 1e-4.
@Suite struct StudentParityTests {
    let fixtures = packageRoot + "/Tests/Fixtures/student"

    @Test(arguments: [1, 3, 16])
    func matchesPyTorch(capacity: Int) throws {
        let model = try StudentModel(folder: fixtures + "/tiny")
        let windows = try NpyArray(path: fixtures + "/windows.npy")
        let expected = try NpyArray(path: fixtures + "/posteriors.npy")
        let expectedEmbeddings = try NpyArray(path: fixtures + "/embeddings.npy")
        #expect(windows.columns == model.windowFrames * model.mels && expected.columns == model.labels.count)
        let network = StudentNetwork(model: model, capacity: capacity)
        var posteriors = [Float](repeating: .nan, count: windows.rows * model.labels.count)
        var embeddings = [Float](repeating: .nan, count: windows.rows * model.embeddingDimension)
        windows.values.withUnsafeBufferPointer { input in
            network.run(input.baseAddress!, count: windows.rows, posteriors: &posteriors, embeddings: &embeddings)
        }
        let posteriorError = zip(posteriors, expected.values).map { abs($0 - $1) }.max()!
        let embeddingError = zip(embeddings, expectedEmbeddings.values).map { abs($0 - $1) }.max()!
        print("parity: student posteriors \(posteriorError), embeddings \(embeddingError) (capacity \(capacity))")
        #expect(posteriorError < 1e-4)
        #expect(embeddingError < 1e-4)
        // The fixture is not degenerate: the windows are told apart.
        #expect(Set(expected.values.map { ($0 * 1000).rounded() }).count > model.labels.count)
    }

    @Test func parameterCountIsTheStoredParameters() throws {
        let model = try StudentModel(folder: fixtures + "/tiny")
        // channels 1 → 4 → 8 → 12, 3×3 kernels, batch norm weight and bias, embedding 256, 5 labels.
        let convolutions = 4 * 1 * 9 + 8 * 4 * 9 + 12 * 8 * 9
        let norms = 2 * (4 + 8 + 12)
        #expect(model.parameterCount == convolutions + norms + 256 * 12 + 256 + 5 * 256 + 5)
    }
}
