import AudioFiles
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// `normalize: sliding` against a direct computation: each frame less the mean of the last
/// `norm-window` of frames (itself included, fewer at the start), over their standard deviation
/// (population, + 1e-10 under the root), computed afresh for every frame in Double.
@Suite struct SlidingNormalizationTests {
    @Test(arguments: [0.25, 1.0])
    func matchesARollingReference(seconds: Double) throws {
        let speech = try AudioFileReader(path: packageRoot + "/Tests/Fixtures/speech-16k.wav").readAll()
        func logMel(_ parameters: [String: ParameterValue]) throws -> (rows: Int, values: [Float]) {
            let harness = try StageHarness(LogMel.self, parameters: parameters, inputs: [.audio(sampleRate: 16000, channels: 1)])
            var blocks: [Block] = []
            for start in stride(from: 0, to: speech.count, by: 777) {
                blocks += try harness.push(Block(time: Int64(start), width: 1, values: Array(speech[start..<min(speech.count, start + 777)])))
            }
            blocks += try harness.finish()
            let values = blocks.flatMap(\.values)
            return (values.count / 40, values)
        }
        let plain = try logMel([:])
        let normalized = try logMel(["normalize": .text("sliding"), "norm-window": .number(seconds)])
        let window = Int(seconds * 16000 / 160)  // frames in the window at the default 10 ms hop
        #expect(plain.rows > 2 * window)

        var reference: [Double] = []
        for row in 0..<plain.rows {
            let first = max(0, row - window + 1)
            for column in 0..<40 {
                let values = (first...row).map { Double(plain.values[$0 * 40 + column]) }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                reference.append((Double(plain.values[row * 40 + column]) - mean) / (variance + 1e-10).squareRoot())
            }
        }
        let comparison = ValueComparison(normalized.values, reference, shape: [normalized.rows, 40], expectedShape: [plain.rows, 40])
        print("sliding normalisation over \(seconds) s against the rolling reference: \(comparison)")
        #expect(comparison.isWithin(1e-5), "\(comparison)")
    }
}
