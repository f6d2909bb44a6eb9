import Corpora
import DSP
import Foundation
import Testing
import TestSupport

/// Voice quality, spectral shape and functionals of the prosody analyzer, on signals whose
/// answers are known.
@Suite struct ProsodyTests {
    let rate = 16000.0

    func frames(_ signal: [Float]) -> [ProsodyFrame] {
        ProsodyAnalyzer(sampleRate: rate).process(signal, at: 0)
    }

    /// Frames in `seconds` of audio: one every hop whose whole frame fits.
    func frameCount(seconds: Double) -> Int {
        let analyzer = ProsodyAnalyzer(sampleRate: rate)
        return (Int(seconds * rate) - analyzer.frameLength) / analyzer.hop + 1
    }

    func whiteNoise(seconds: Double, seed: UInt64 = 1) -> [Float] {
        var generator = SeededRandom(seed: seed)
        return (0..<Int(seconds * rate)).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
    }

    /// Pulses `periods` apart in turn, each ringing a damped 400 Hz resonance (a crude vowel),
    /// scaled by `amplitudes` in turn.
    func pulseTrain(periods: [Int], count: Int, amplitudes: [Double] = [1]) -> [Float] {
        let length = 200 + (0..<count).map { periods[$0 % periods.count] }.reduce(0, +)  // ends as the last cycle ends
        var signal = [Float](repeating: 0, count: length)
        var position = 200
        for index in 0..<count {
            let amplitude = amplitudes[index % amplitudes.count]
            for n in 0..<min(600, signal.count - position) {
                signal[position + n] += Float(0.5 * amplitude * exp(-Double(n) / 40) * sin(2 * .pi * 400 * Double(n) / rate))
            }
            position += periods[index % periods.count]
        }
        return signal
    }

    @Test func hnrOfAToneIsHighAndOfNoiseLow() {
        let tone = frames(sine(frequency: 200, rate: rate, seconds: 0.5))
        #expect(tone.count == frameCount(seconds: 0.5))
        #expect(tone.allSatisfy { $0.hnrDecibels > 20 }, "tone HNR \(tone.map(\.hnrDecibels).min() ?? 0) dB")
        let noise = frames(whiteNoise(seconds: 0.5))
        #expect(noise.count == frameCount(seconds: 0.5))
        #expect(noise.allSatisfy { $0.hnrDecibels < 3 }, "noise HNR \(noise.map(\.hnrDecibels).max() ?? 0) dB")
        #expect(noise.allSatisfy { !$0.isVoiced && $0.jitter == 0 && $0.shimmerDecibels == 0 })
    }

    /// HNR follows the ratio of a tone to added noise: 10 dB more noise, about 10 dB less HNR.
    @Test func hnrFollowsTheNoiseLevel() {
        let tone = sine(frequency: 150, rate: rate, seconds: 0.5, amplitude: 0.5)
        let noise = whiteNoise(seconds: 0.5)  // RMS 0.289, tone RMS 0.354
        func meanHNR(noiseGain: Float) -> Double {
            let voiced = frames(zip(tone, noise).map { $0 + noiseGain * $1 }).filter(\.isVoiced)
            return voiced.map(\.hnrDecibels).reduce(0, +) / Double(voiced.count)
        }
        let clean = meanHNR(noiseGain: 0.1), noisy = meanHNR(noiseGain: 0.316)
        let expected = 20 * log10(0.354 / (0.289 * 0.1))
        #expect(abs(clean - expected) < 3, "HNR \(clean) dB, expected about \(expected) dB")
        #expect(abs((clean - noisy) - 10) < 2.5, "HNR fell by \(clean - noisy) dB for 10 dB more noise")
    }

    @Test func periodicPulsesHaveNoJitterOrShimmer() {
        let voiced = frames(pulseTrain(periods: [160], count: 60)).filter(\.isVoiced)
        #expect(voiced.count > 40)
        #expect(voiced.allSatisfy { abs($0.f0 - 100) < 1 && $0.jitter < 0.002 && $0.shimmerDecibels < 0.1 })
    }

    /// Periods alternating 157 and 163 samples: every period differs from the next by 6
    /// samples, 3.75 % of the mean period.
    @Test func jitterOfAlternatingPeriods() {
        let voiced = frames(pulseTrain(periods: [157, 163], count: 60)).filter(\.isVoiced)
        #expect(voiced.count > 40)
        let jitter = voiced.map(\.jitter).reduce(0, +) / Double(voiced.count)
        #expect(abs(jitter - 0.0375) < 0.003, "jitter \(jitter), expected 0.0375")
    }

    /// Amplitudes alternating 1 and 0.8: every cycle differs from the next by 1.94 dB.
    @Test func shimmerOfAlternatingAmplitudes() {
        let voiced = frames(pulseTrain(periods: [160], count: 60, amplitudes: [1, 0.8])).filter(\.isVoiced)
        #expect(voiced.count > 40)
        let shimmer = voiced.map(\.shimmerDecibels).reduce(0, +) / Double(voiced.count)
        #expect(abs(shimmer - 20 * log10(1 / 0.8)) < 0.2, "shimmer \(shimmer) dB, expected 1.94 dB")
        #expect(voiced.allSatisfy { $0.jitter < 0.005 })
    }

    /// Low-pass noise has more energy below 1 kHz and a falling spectrum; high-pass noise
    /// the opposite.
    @Test func spectralBalanceOfFilteredNoise() {
        let noise = whiteNoise(seconds: 0.5)
        var lowPassed: [Float] = [], state: Float = 0
        for sample in noise {
            state += 0.1 * (sample - state)  // one pole at about 270 Hz
            lowPassed.append(state)
        }
        let highPassed = zip(noise, [0] + noise.dropLast()).map { $0 - $1 }  // first difference
        func mean(_ frames: [ProsodyFrame], _ value: (ProsodyFrame) -> Double) -> Double {
            frames.map(value).reduce(0, +) / Double(frames.count)
        }
        let low = frames(lowPassed), high = frames(highPassed), white = frames(noise)
        #expect(mean(low) { $0.spectrum.alphaRatio } > 5)  // about 7 dB
        #expect(mean(high) { $0.spectrum.alphaRatio } < -15)  // about -21 dB
        #expect(abs(mean(white) { $0.spectrum.alphaRatio } - 10 * log10(950.0 / 4000)) < 1.5)
        #expect(mean(low) { $0.spectrum.slopeMid } < -0.005)
        #expect(mean(high) { $0.spectrum.slopeLow } > 0.01)
        #expect(abs(mean(white) { $0.spectrum.slopeMid }) < 0.002)
    }

    @Test func loudnessIsTheRMSLevel() {
        let tone = frames(sine(frequency: 300, rate: rate, seconds: 0.3, amplitude: 0.1))
        #expect(tone.count == frameCount(seconds: 0.3))
        #expect(tone.allSatisfy { abs($0.loudnessDecibels - (20 * log10(0.1) - 3.01)) < 0.1 })
    }

    /// Frames do not depend on block sizes.
    @Test func blockSizesDoNotChangeTheFrames() throws {
        let speech = try Fixture.audio("speech-en-f")
        let whole = ProsodyAnalyzer(sampleRate: rate).process(speech, at: 0)
        let analyzer = ProsodyAnalyzer(sampleRate: rate)
        var pieces: [ProsodyFrame] = []
        for start in stride(from: 0, to: speech.count, by: 64) {
            pieces += analyzer.process(Array(speech[start..<min(speech.count, start + 64)]), at: Int64(start))
        }
        #expect(!whole.isEmpty)
        #expect(pieces == whole)
        let voiced = whole.filter(\.isVoiced)
        let meanJitter = voiced.map(\.jitter).reduce(0, +) / Double(voiced.count)
        #expect(meanJitter < 0.05, "synthetic speech jitter \(meanJitter)")
    }

    @Test func statistics() {
        let values = [4.0, 1, 3, 2, 5]
        #expect(SummaryStatistics.mean(values) == 3)
        let deviation = SummaryStatistics.standardDeviation(values)
        #expect(abs(deviation - 2.0.squareRoot()) < 1e-12)
        #expect(SummaryStatistics.percentile(values, 0.5) == 3)
        let lowQuintile = SummaryStatistics.percentile(values, 0.2)
        #expect(abs(lowQuintile - 1.8) < 1e-12)
        #expect(SummaryStatistics.slope(x: [0, 1, 2, 3], y: [1, 3, 5, 7]) == 2)
        #expect(SummaryStatistics.mean([]) == 0)
        #expect(SummaryStatistics.slope(x: [1], y: [2]) == 0)
    }

    /// A rising tone: F0 functionals in semitones above 27.5 Hz, with its slope per second.
    @Test func functionalsOfAGlide() {
        let frames = (0..<100).map { index in
            ProsodyFrame(time: Int64(index * 160), f0: index < 20 ? 0 : 55 * pow(2, Double(index) / 100),
                         voicingProbability: 1, loudnessDecibels: -20, hnrDecibels: 10, jitter: 0.01, shimmerDecibels: 0.5,
                         spectrum: SpectralShape(slopeLow: 0.01, slopeMid: -0.01, alphaRatio: -3))
        }
        let summary = Dictionary(uniqueKeysWithValues: zip(ProsodyFunctionals.names, ProsodyFunctionals.summary(of: frames, sampleRate: 16000)))
        #expect(summary.count == ProsodyFunctionals.names.count)
        #expect(abs(summary["f0_semitone_slope"]! - 12) < 1e-9, "an octave per second")  // 100 frames = 1 s
        #expect(abs(summary["f0_semitone_p50"]! - (12 + 12 * 0.595)) < 1e-9)
        #expect(summary["voiced_fraction"] == 0.8)
        #expect(summary["loudness_db_mean"] == -20 && summary["loudness_db_std"] == 0 && summary["loudness_db_slope"] == 0)
        #expect(abs(summary["jitter_mean"]! - 0.01) < 1e-12 && summary["alpha_ratio_db_mean"] == -3)
    }

    /// Windows of 4 frames every 2: complete windows as frames arrive, the uncovered tail
    /// at a flush, and a gap flushes before starting over.
    @Test func functionalWindows() {
        func frame(_ time: Int64) -> ProsodyFrame {
            ProsodyFrame(time: time, f0: 0, voicingProbability: 0, loudnessDecibels: Double(time), hnrDecibels: 0, jitter: 0,
                         shimmerDecibels: 0, spectrum: SpectralShape(slopeLow: 0, slopeMid: 0, alphaRatio: 0))
        }
        let windows = FunctionalWindows(length: 4, hop: 2, frameHop: 10, sampleRate: 1000)
        let rows = (0..<7).flatMap { windows.add(frame(Int64($0 * 10))) }
        #expect(rows.map(\.time) == [0, 20])
        let afterGap = windows.add(frame(1000))
        #expect(afterGap.map(\.time) == [40])  // frames 40, 50, 60: not all covered before the gap
        #expect(windows.flush().map(\.time) == [1000])
        #expect(windows.flush().isEmpty)
        let loudnessMean = ProsodyFunctionals.names.firstIndex(of: "loudness_db_mean")!
        #expect(rows[1].values[loudnessMean] == 35)
    }
}
