import ArrayFiles
import AudioFiles
import DSP
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// `logmel` and `mfcc` against golden vectors that librosa 0.11 computed
/// (`scripts/golden/make_feature_goldens.py`, settings in `Tests/Fixtures/features/README.md`).
///
/// Tolerances: mel power relative error below 1e-4 wherever the power is above 1e-6 of the
/// clip's maximum (elsewhere it is float32 noise on near-silence, checked absolutely); log
/// values within 1e-3 (dB or neper) where the reference is 60 dB above its floor; cepstra
/// and deltas within 1e-4 of the largest value of their frame (or of 1); normalised cepstra within 1e-3.
@Suite struct FeatureParityTests {
    static let fixtures = packageRoot + "/Tests/Fixtures/features/"
    static let clip = packageRoot + "/Tests/Fixtures/speech-16k.wav"

    static let settingA: [String: ParameterValue] = [
        "frame": .number(0.025), "hop": .number(0.010), "n-fft": .integer(512), "window": .text("hann"),
        "preemphasis": .number(0.97), "mels": .integer(40), "fmin": .number(0), "fmax": .number(8000),
        "scale": .text("slaney"), "filter-norm": .text("slaney"), "spectrum": .text("power"), "log": .text("db"),
        "floor": .number(1e-10),
    ]
    static let settingB: [String: ParameterValue] = [
        "frame": .number(0.032), "hop": .number(0.016), "n-fft": .integer(512), "window": .text("hamming"),
        "preemphasis": .number(0), "mels": .integer(64), "fmin": .number(20), "fmax": .number(7600),
        "scale": .text("htk"), "filter-norm": .text("none"), "spectrum": .text("magnitude"), "log": .text("ln"),
        "floor": .number(1e-6),
    ]

    /// Runs `stage` over the clip in blocks of `blockFrames`; returns rows and the first row's time.
    func features<S: Stage>(_ stage: S.Type, _ parameters: [String: ParameterValue], blockFrames: Int = 4096) throws -> (rows: [[Float]], blocks: [Block]) {
        let harness = try StageHarness(stage, parameters: parameters, inputs: [.audio(sampleRate: 16000, channels: 1)])
        let blocks = try harness.push(file: Self.clip, blockFrames: blockFrames)
        let width = harness.outputFormats[0].width
        let values = blocks.flatMap(\.values)
        return (stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }, blocks)
    }

    func golden(_ name: String) throws -> NpyArray { try NpyArray(path: Self.fixtures + name) }

    /// Largest |ours − theirs| relative to the largest |value| of the reference row (at least 1:
    /// on digital silence deltas are zero), over rows `rows`.
    func worstRelativeToRow(_ ours: [[Float]], _ theirs: NpyArray, rows: Range<Int>? = nil) -> Double {
        (rows ?? 0..<theirs.rows).map { row in
            let reference = theirs[row: row]
            let scale = max(1, reference.map { abs(Double($0)) }.max()!)
            return ValueComparison(ours[row], reference, scale: scale).worst
        }.max()!
    }

    /// Largest |ours − theirs| over rows `rows` (all by default), where `include` allows.
    func worstDifference(_ ours: [[Float]], _ theirs: NpyArray, rows: Range<Int>? = nil,
                         include: (Int, Int) -> Bool = { _, _ in true }) -> Double {
        var worst = 0.0
        for row in rows ?? 0..<theirs.rows {
            for column in 0..<theirs.columns where include(row, column) {
                worst = max(worst, abs(Double(ours[row][column]) - Double(theirs[row: row][theirs.columns * row + column])))
            }
        }
        return worst
    }

    @Test func filterbanksMatchLibrosa() throws {
        for (name, scale, normalization, filters, fmin, fmax) in [
            ("mel-slaney-filters.npy", MelFilterbank.Scale.slaney, MelFilterbank.Normalization.slaney, 40, 0.0, 8000.0),
            ("mel-htk-filters.npy", .htk, .none, 64, 20, 7600),
        ] {
            let ours = MelFilterbank(filters: filters, fftSize: 512, sampleRate: 16000, minimumFrequency: fmin,
                                     maximumFrequency: fmax, scale: scale, normalization: normalization)
            let theirs = try golden(name)
            let peak = theirs.values.map { abs(Double($0)) }.max()!
            let worst = worstDifference(ours.weights, theirs)
            #expect(worst / peak < 1e-5, "\(name): largest difference \(worst) of peak \(peak)")
        }
    }

    @Test func slaneyLogMelMatchesLibrosa() throws {
        let (rows, blocks) = try features(LogMel.self, Self.settingA.merging(["log": .text("none")]) { $1 })
        let power = try golden("logmel-slaney-power.npy")
        #expect(rows.count == power.rows)
        #expect(blocks.first?.time == 0)
        let threshold = Double(power.values.max()!) * 1e-6
        var worstRelative = 0.0
        for row in 0..<power.rows {
            for column in 0..<power.columns {
                let reference = Double(power.values[row * power.columns + column])
                let difference = abs(Double(rows[row][column]) - reference)
                if reference > threshold {
                    worstRelative = max(worstRelative, difference / reference)
                } else {
                    #expect(difference <= threshold * 1e-3, "frame \(row) band \(column): \(rows[row][column]) vs \(reference)")
                }
            }
        }
        print("parity: mel power relative error \(worstRelative)")
        #expect(worstRelative < 1e-4, "largest relative error in mel power: \(worstRelative)")

        let (decibels, _) = try features(LogMel.self, Self.settingA)
        let reference = try golden("logmel-slaney.npy")
        let worst = worstDifference(decibels, reference) { row, column in reference.values[row * reference.columns + column] > -40 }
        print("parity: log-mel dB difference \(worst)")
        #expect(worst < 1e-3, "largest dB difference above -40 dB: \(worst)")
    }

    @Test func htkLogMelMatchesLibrosa() throws {
        let (rows, _) = try features(LogMel.self, Self.settingB)
        let reference = try golden("logmel-htk.npy")
        #expect(rows.count == reference.rows && rows.first?.count == 64)
        let floor = log(1e-6)
        let worst = worstDifference(rows, reference) { row, column in Double(reference.values[row * reference.columns + column]) > floor + 60 / 20 * log(10) }
        print("parity: HTK ln difference \(worst)")
        #expect(worst < 1e-3, "largest ln difference 60 dB above the floor: \(worst)")
    }

    @Test func mfccAndDeltasMatchLibrosa() throws {
        let (rows, _) = try features(MFCC.self, Self.settingA.merging(["deltas": .integer(2)]) { $1 })
        let mfcc = try golden("mfcc.npy"), delta = try golden("mfcc-delta.npy"), delta2 = try golden("mfcc-delta2.npy")
        #expect(rows.count == mfcc.rows && rows.first?.count == 39)
        let base = rows.map { Array($0[0..<13]) }, first = rows.map { Array($0[13..<26]) }, second = rows.map { Array($0[26..<39]) }
        let worstBase = worstRelativeToRow(base, mfcc)
        let worstFirst = worstRelativeToRow(first, delta, rows: 4..<(delta.rows - 4))
        let worstSecond = worstRelativeToRow(second, delta2, rows: 8..<(delta2.rows - 8))
        print("parity: MFCC \(worstBase), delta \(worstFirst), delta-delta \(worstSecond) (relative to each frame's largest value)")
        #expect(worstBase < 1e-4, "MFCC: \(worstBase)")
        #expect(worstFirst < 1e-4, "delta: \(worstFirst)")
        #expect(worstSecond < 1e-4, "delta-delta: \(worstSecond)")
    }

    @Test func utteranceNormalisationMatchesLibrosa() throws {
        let (rows, _) = try features(MFCC.self, Self.settingA.merging(["normalize": .text("utterance")]) { $1 })
        let reference = try golden("mfcc-cmvn.npy")
        #expect(rows.count == reference.rows && rows.first?.count == reference.columns)
        let worst = worstDifference(rows, reference)
        print("parity: CMVN difference \(worst)")
        #expect(worst < 1e-3, "CMVN: \(worst)")
    }

    /// The frames are the same whether the audio arrives whole or in blocks of 64 samples.
    @Test func blockSizeDoesNotChangeFrames() throws {
        let parameters = Self.settingA.merging(["deltas": .integer(2)]) { $1 }
        let (whole, wholeBlocks) = try features(MFCC.self, parameters, blockFrames: 1 << 20)
        let (small, smallBlocks) = try features(MFCC.self, parameters, blockFrames: 64)
        #expect(whole == small)
        // Every row's stream time: row i of the output starts at sample 160·i.
        var times: [Int64] = []
        for block in smallBlocks { times += (0..<block.rows).map { block.time + Int64($0 * 160) } }
        #expect(times == (0..<small.count).map { Int64($0 * 160) })
        #expect(wholeBlocks.first?.time == 0)
    }
}
