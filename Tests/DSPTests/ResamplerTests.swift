import AudioFiles
import Corpora
import DSP
import Foundation
import Testing
import TestSupport

/// The streaming resampler, checked analytically and against sox's `rate` effect.
@Suite struct ResamplerTests {
    /// Resamples `input` in chunks of `chunk` frames, then flushes.
    func resample(_ input: [Float], from inputRate: Double, to outputRate: Double, channels: Int = 1,
                  quality: ResamplerQuality = .high, chunk: Int = 1000) throws -> [Float] {
        let resampler = try Resampler(inputRate: inputRate, outputRate: outputRate, channels: channels, quality: quality)
        var output: [Float] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + chunk * channels)
            try resampler.process(Array(input[start..<end]), appendingTo: &output)
            start = end
        }
        try resampler.flush(appendingTo: &output)
        return output
    }

    /// Length ratio is exact for any rate pair, and a sine keeps its frequency and amplitude.
    @Test(arguments: [(48000.0, 16000.0), (44100, 16000), (16000, 48000), (22050, 44100), (8000, 11025), (44100, 48000)])
    func keepsLengthFrequencyAndAmplitude(from inputRate: Double, to outputRate: Double) throws {
        let tone = 1000.0
        let input = sine(frequency: tone, rate: inputRate, seconds: 2, amplitude: 0.5)
        let output = try resample(input, from: inputRate, to: outputRate)
        #expect(output.count == Int(2 * outputRate))
        // Away from the edges, the output is the same sine at the new rate.
        let middle = Array(output[Int(0.5 * outputRate)..<Int(1.5 * outputRate)])
        let level = amplitude(of: tone, in: middle, rate: outputRate)
        #expect(abs(decibels(level / 0.5)) < 0.01, "1 kHz at \(decibels(level / 0.5)) dB after resampling")
        let residual = zip(middle, middle.indices).map { sample, index -> Float in
            let t = Double(index + Int(0.5 * outputRate)) / outputRate
            return sample - Float(0.5 * sin(2 * .pi * tone * t))
        }
        #expect(decibels(rms(residual) / (0.5 / 2.0.squareRoot())) < -80, "the output is not the sine, sample for sample (stream time kept)")
    }

    /// Content above the target Nyquist is suppressed, not folded down.
    @Test func suppressesContentAboveTargetNyquist() throws {
        let input = sine(frequency: 10000, rate: 48000, seconds: 1, amplitude: 0.9)
        let output = try resample(input, from: 48000, to: 16000)
        let middle = Array(output[4000..<12000])
        // 10 kHz would alias to 6 kHz at 16 kHz.
        #expect(decibels(rms(middle) / 0.9) < -100)
        #expect(decibels(amplitude(of: 6000, in: middle, rate: 16000) / 0.9) < -100)
    }

    /// Streaming in blocks of any size gives the same samples as one call.
    @Test func chunkSizeDoesNotChangeOutput() throws {
        var generator = SeededRandom(seed: 5)
        let input = (0..<24000).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        let whole = try resample(input, from: 48000, to: 16000, chunk: input.count)
        for chunk in [1, 64, 333, 4096] {
            let pieces = try resample(input, from: 48000, to: 16000, chunk: chunk)
            let comparison = ValueComparison(pieces, whole)
            #expect(comparison.isWithin(1e-6), "chunks of \(chunk): \(comparison)")
        }
    }

    /// Interleaved channels stay apart.
    @Test func keepsChannelsApart() throws {
        let left = sine(frequency: 500, rate: 48000, seconds: 1)
        let right = sine(frequency: 3000, rate: 48000, seconds: 1)
        let output = try resample(zip(left, right).flatMap { [$0, $1] }, from: 48000, to: 16000, channels: 2)
        let outLeft = stride(from: 0, to: output.count, by: 2).map { output[$0] }
        let outRight = stride(from: 1, to: output.count, by: 2).map { output[$0] }
        #expect(outLeft.count == 16000)
        #expect(decibels(amplitude(of: 3000, in: outLeft, rate: 16000) / 0.5) < -80)
        #expect(decibels(amplitude(of: 500, in: outRight, rate: 16000) / 0.5) < -80)
        #expect(abs(amplitude(of: 3000, in: outRight, rate: 16000) - 0.5) < 0.005)
    }

    /// Speech resampled by us and by sox's `rate` (very high quality) agree to within -60 dB.
    @Test func agreesWithSox() throws {
        let folder = try TemporaryFolder("resample-sox")
        let speech = folder.file("speech.wav"), wide = folder.file("speech-48k.wav"), reference = folder.file("sox-16k.wav")
        try #require(runCommand("espeak-ng", ["-w", speech, "The quick brown fox jumps over the lazy dog."]).status == 0)
        try #require(runCommand("sox", [speech, "-r", "48000", "-e", "floating-point", wide]).status == 0)
        try #require(runCommand("sox", [wide, "-e", "floating-point", reference, "rate", "-v", "16000"]).status == 0)

        let input = try AudioFileReader(path: wide).readAll()
        let ours = try resample(input, from: 48000, to: 16000, quality: .veryHigh)
        let theirs = try AudioFileReader(path: reference).readAll()
        #expect(ours.count == theirs.count)
        let difference = zip(ours, theirs).map { $0 - $1 }
        let ratio = decibels(rms(difference) / rms(theirs))
        #expect(ratio < -60, "sergraph and sox differ by \(ratio) dB")
    }
}
