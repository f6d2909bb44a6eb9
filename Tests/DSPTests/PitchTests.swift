import AudioFiles
import Corpora
import DSP
import Foundation
import Testing
import TestSupport

/// The YIN pitch tracker: pure tones analytically, and sox glides and espeak-ng speech
/// against Praat's pitch tracks (`scripts/golden/make_pitch_reference.py` wrote them).
@Suite struct PitchTests {
    /// The frequencies of the voiced frames of `signal`, tracked with default settings.
    func voicedFrequencies(_ signal: [Float], rate: Double) -> [Double] {
        PitchTracker(sampleRate: rate).process(signal, at: 0).filter(\.isVoiced).map(\.frequency)
    }

    @Test(arguments: [(100.0, 16000.0), (155.5, 16000), (220, 16000), (347, 16000), (440, 16000),
                      (75, 8000), (310, 8000), (123.4, 44100), (480, 48000)])
    func pureTonesWithinOneHertz(frequency: Double, rate: Double) {
        let frequencies = voicedFrequencies(sine(frequency: frequency, rate: rate, seconds: 0.5), rate: rate)
        #expect(frequencies.count >= 40, "a 0.5 s tone is voiced throughout")
        let worst = frequencies.map { abs($0 - frequency) }.max() ?? .infinity
        #expect(worst < 1, "\(frequency) Hz at \(rate) Hz tracked within \(worst) Hz")
    }

    @Test func noiseAndSilenceAreUnvoiced() {
        var generator = SeededRandom(seed: 3)
        let tracker = PitchTracker(sampleRate: 16000)
        let expectedFrames = (16000 - tracker.frameLength) / tracker.hop + 1
        let noise = tracker.process((0..<16000).map { _ in Float.random(in: -0.5...0.5, using: &generator) }, at: 0)
        #expect(noise.count == expectedFrames)
        #expect(noise.allSatisfy { !$0.isVoiced && $0.voicingProbability < 0.7 })
        let silence = PitchTracker(sampleRate: 16000).process([Float](repeating: 0, count: 16000), at: 0)
        #expect(silence.count == expectedFrames)
        #expect(silence.allSatisfy { !$0.isVoiced && $0.levelDecibels == -120 })
    }

    /// A sawtooth has a strong second harmonic; the tracker must not report it.
    @Test func noOctaveErrorsOnASawtooth() {
        let rate = 16000.0, f0 = 120.0
        let sawtooth = (0..<8000).map { Float(0.5 * (2 * (Double($0) * f0 / rate).truncatingRemainder(dividingBy: 1) - 1)) }
        let frequencies = voicedFrequencies(sawtooth, rate: rate)
        #expect(frequencies.count > 40)
        #expect(frequencies.allSatisfy { abs($0 - f0) < 1 })
    }

    /// Frames and their times do not depend on block sizes.
    @Test func blockSizesDoNotChangeTheFrames() throws {
        let speech = try Fixture.audio("speech-en")
        let whole = PitchTracker(sampleRate: 16000).process(speech, at: 1000)
        let tracker = PitchTracker(sampleRate: 16000)
        var pieces: [PitchFrame] = []
        for start in stride(from: 0, to: speech.count, by: 64) {
            pieces += tracker.process(Array(speech[start..<min(speech.count, start + 64)]), at: 1000 + Int64(start))
        }
        #expect(whole.count == (speech.count - tracker.frameLength) / tracker.hop + 1)
        #expect(whole.first?.time == 1000)
        #expect(pieces == whole)
    }

    /// After a gap in stream time, frames restart at the new time and never span the gap.
    @Test func restartsAfterAGap() {
        let tracker = PitchTracker(sampleRate: 16000)
        let tone = sine(frequency: 200, rate: 16000, seconds: 0.1)
        let before = tracker.process(tone, at: 0)
        let after = tracker.process(tone, at: 50000)
        #expect(before.count == (1600 - tracker.frameLength) / tracker.hop + 1)
        #expect(before.last.map { $0.time + Int64(tracker.frameLength) <= 1600 } == true)
        #expect(after.map(\.time) == (0..<before.count).map { 50000 + Int64($0 * tracker.hop) })
        #expect(after.allSatisfy { abs($0.frequency - 200) < 1 })
    }

    @Test(arguments: ["sine-glide", "sawtooth-glide", "square-150"])
    func matchesPraatOnSyntheticSignals(name: String) throws {
        let comparison = try PitchComparison(fixture: name)
        print("pitch vs Praat, \(name): \(comparison)")
        #expect(comparison.grossErrorRate < 0.02)
        #expect(comparison.voicingErrorRate < 0.02)
        #expect(comparison.meanCentsError < 10)
    }

    @Test(arguments: ["speech-en", "speech-en-f"])
    func matchesPraatOnSpeech(name: String) throws {
        let comparison = try PitchComparison(fixture: name)
        print("pitch vs Praat, \(name): \(comparison)")
        #expect(comparison.grossErrorRate < 0.05)
        #expect(comparison.voicingErrorRate < 0.10)
        #expect(comparison.meanCentsError < 20)
    }

    /// Pitch and voicing survive white noise 20 dB below the speech.
    @Test(arguments: ["speech-en", "speech-en-f"])
    func robustToNoise(name: String) throws {
        let comparison = try PitchComparison(fixture: name, snr: 20)
        print("pitch vs Praat, \(name) with noise at 20 dB SNR: \(comparison)")
        #expect(comparison.grossErrorRate < 0.05)
        #expect(comparison.voicingErrorRate < 0.10)
        #expect(comparison.meanCentsError < 20)
    }
}

/// The committed test signals and reference tracks in Tests/Fixtures/prosody.
enum Fixture {
    static func path(_ file: String) -> String { "\(packageRoot)/Tests/Fixtures/prosody/\(file)" }

    /// The samples of `NAME.wav` (16 kHz mono).
    static func audio(_ name: String) throws -> [Float] {
        let reader = try AudioFileReader(path: path("\(name).wav"))
        defer { reader.close() }
        return try reader.readAll()
    }

    /// Praat's track of `NAME.wav`: frame centre times in seconds and F0 in Hz (0 = unvoiced).
    static func praatTrack(_ name: String) throws -> [(time: Double, f0: Double)] {
        try String(contentsOfFile: path("\(name).f0.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
            .map { line in
                let fields = line.split(separator: ",").compactMap { Double($0) }
                return (fields[0], fields[1])
            }
    }
}

/// How the tracker's frames of a fixture agree with Praat's, over the frames whose centres
/// lie within 5 ms of one of Praat's.
struct PitchComparison: CustomStringConvertible {
    /// Frames compared.
    var frames = 0
    /// Frames voiced in both.
    var bothVoiced = 0
    /// Frames voiced in both whose F0 differs from Praat's by more than 20 %.
    var grossErrors = 0
    /// Frames voiced here and unvoiced in Praat's track.
    var falselyVoiced = 0
    /// Frames voiced in Praat's track and unvoiced here.
    var falselyUnvoiced = 0
    /// |1200·log2(f0 / Praat's)| of the frames voiced in both without a gross error.
    var cents: [Double] = []

    /// Compares the tracker on fixture `name`, with white noise added `snr` dB below the
    /// signal's RMS level if `snr` is given, to Praat's track of the clean fixture.
    init(fixture name: String, snr: Double? = nil) throws {
        let rate = 16000.0
        let reference = try Fixture.praatTrack(name)
        var audio = try Fixture.audio(name)
        if let snr {
            var generator = SeededRandom(seed: 7)
            let scale = Float(rms(audio) * pow(10, -snr / 20) * 3.0.squareRoot())  // uniform noise of that RMS
            audio = audio.map { $0 + scale * Float.random(in: -1...1, using: &generator) }
        }
        let tracker = PitchTracker(sampleRate: rate)
        for frame in tracker.process(audio, at: 0) {
            let centre = (Double(frame.time) + Double(tracker.frameLength) / 2) / rate
            guard let nearest = reference.min(by: { abs($0.time - centre) < abs($1.time - centre) }),
                  abs(nearest.time - centre) <= 0.005 else { continue }
            frames += 1
            if frame.isVoiced && nearest.f0 == 0 { falselyVoiced += 1 }
            if !frame.isVoiced && nearest.f0 > 0 { falselyUnvoiced += 1 }
            guard frame.isVoiced, nearest.f0 > 0 else { continue }
            bothVoiced += 1
            if abs(frame.frequency - nearest.f0) / nearest.f0 > 0.2 {
                grossErrors += 1
            } else {
                cents.append(abs(1200 * log2(frame.frequency / nearest.f0)))
            }
        }
    }

    /// Gross errors over the frames voiced in both.
    var grossErrorRate: Double { Double(grossErrors) / Double(max(bothVoiced, 1)) }
    /// Frames whose voicing differs from Praat's, over all frames compared.
    var voicingErrorRate: Double { Double(falselyVoiced + falselyUnvoiced) / Double(max(frames, 1)) }
    /// The mean of `cents`.
    var meanCentsError: Double { cents.isEmpty ? .infinity : cents.reduce(0, +) / Double(cents.count) }

    var description: String {
        String(format: "%d frames, %d voiced in both; gross pitch errors %.2f %%, voicing decision errors %.2f %% (%d voiced only here, %d only in Praat), mean error %.1f cents",
               frames, bothVoiced, 100 * grossErrorRate, 100 * voicingErrorRate, falselyVoiced, falselyUnvoiced, meanCentsError)
    }
}
