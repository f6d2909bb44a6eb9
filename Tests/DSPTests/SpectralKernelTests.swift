import Corpora
import CPUDispatch
@testable import DSP
import Foundation
import Testing
import TestSupport

/// The spectral kernels behind `logmel` and `mfcc`: the FFT against a direct DFT, and the
/// log-mel and cepstrum batches against frame-by-frame results and direct formulas.
@Suite struct SpectralKernelTests {
    /// A reproducible test signal: two tones and a little noise.
    static func signal(count: Int, rate: Double = 16000) -> [Float] {
        var generator = SeededRandom(seed: 7)
        return (0..<count).map { n in
            let t = Double(n) / rate
            return Float(0.5 * sin(2 * .pi * 440 * t) + 0.2 * sin(2 * .pi * 3100 * t) + 0.01 * Double.random(in: -1..<1, using: &generator))
        }
    }

    /// |X[k]|² of `frame` by the definition, in Double.
    static func directPowerSpectrum(_ frame: [Float]) -> [Double] {
        let size = frame.count
        return (0...(size / 2)).map { k in
            var (real, imaginary) = (0.0, 0.0)
            for (n, sample) in frame.enumerated() {
                let angle = -2 * Double.pi * Double(k * n % size) / Double(size)
                real += Double(sample) * cos(angle)
                imaginary += Double(sample) * sin(angle)
            }
            return real * real + imaginary * imaginary
        }
    }

    /// Even sizes (one half-length complex transform, then untangled) and odd sizes (FFTW's
    /// real transform) agree with the DFT within 1e-5 of the largest bin, for power and magnitude.
    @Test(arguments: [1, 2, 3, 4, 6, 400, 401, 512])
    func spectrumMatchesTheDirectTransform(size: Int) {
        let fft = RealFFT(size: size)
        let frame = Self.signal(count: size)
        let reference = Self.directPowerSpectrum(frame)
        for power: Float in [2, 1] {
            var spectrum = [Float](repeating: .nan, count: fft.bins)
            frame.withUnsafeBufferPointer { input in
                spectrum.withUnsafeMutableBufferPointer { fft.spectrum(of: input, power: power, into: $0) }
            }
            let expected = reference.map { power == 2 ? $0 : $0.squareRoot() }
            let comparison = ValueComparison(spectrum, expected, scale: max(1e-30, expected.max()!))
            #expect(comparison.isWithin(1e-5), "size \(size), power \(power): \(comparison)")
        }
    }

    static func settings(frameLength: Int, fftSize: Int, hop: Int, compression: LogCompression = .db) -> LogMelSettings {
        LogMelSettings(frameLength: frameLength, hop: hop, fftSize: fftSize, window: .hann, preemphasis: 0.97, filters: 26,
                       minimumFrequency: 20, maximumFrequency: 7600, scale: .htk, normalization: .slaney, power: 2,
                       compression: compression, floor: 1e-10)
    }

    /// Every row the analyser hands over for `samples` pushed in blocks of `block`, and each row's time.
    static func logMel(_ samples: [Float], settings: LogMelSettings, block: Int) -> (rows: [[Float]], times: [Int64]) {
        let analyzer = LogMelAnalyzer(settings: settings, sampleRate: 16000)
        var rows: [[Float]] = [], times: [Int64] = []
        samples.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count, by: block) {
                analyzer.push(UnsafeBufferPointer(rebasing: samples[start..<min(samples.count, start + block)])) { batch, time in
                    #expect(batch.count % settings.filters == 0 && batch.count <= LogMelAnalyzer.batchLimit * settings.filters)
                    for row in 0..<(batch.count / settings.filters) {
                        rows.append(Array(batch[(row * settings.filters)..<((row + 1) * settings.filters)]))
                        times.append(time + Int64(row * settings.hop))
                    }
                }
            }
        }
        return (rows, times)
    }

    /// A frame computed alone (blocks of one sample) is bit for bit the frame computed among
    /// hundreds in one call (more than `batchLimit`, so the batch is split), for power-of-two,
    /// even and odd FFT sizes; every frame's time is its first sample.
    @Test(arguments: [(400, 512, 160), (400, 400, 160), (401, 401, 100), (25, 32, 32)])
    func framesAreTheSameAloneOrInBatches(frameLength: Int, fftSize: Int, hop: Int) {
        let settings = Self.settings(frameLength: frameLength, fftSize: fftSize, hop: hop)
        let samples = Self.signal(count: 48_013)
        let whole = Self.logMel(samples, settings: settings, block: samples.count)
        let expectedCount = (samples.count - fftSize) / hop + 1
        #expect(expectedCount > LogMelAnalyzer.batchLimit)
        #expect(whole.rows.count == expectedCount)
        #expect(whole.times == (0..<expectedCount).map { Int64($0 * hop) })
        for block in [1, 7, fftSize + 1, 4096] {
            let pieces = Self.logMel(samples, settings: settings, block: block)
            let firstDifference = pieces.rows.indices.first { $0 >= whole.rows.count || pieces.rows[$0] != whole.rows[$0] }
            #expect(pieces.rows.count == whole.rows.count && firstDifference == nil,
                    "blocks of \(block): \(pieces.rows.count) rows, first different row \(firstDifference.map { "\($0): \(pieces.rows[$0]) vs \(whole.rows[$0])" } ?? "none")")
            #expect(pieces.times == whole.times, "blocks of \(block)")
        }
    }

    /// Fewer samples than one frame give no frame; the frame completes when the rest arrives.
    @Test func shorterThanAFrameGivesNothingUntilTheFrameCompletes() {
        let settings = Self.settings(frameLength: 400, fftSize: 512, hop: 160)
        let samples = Self.signal(count: 512)
        let analyzer = LogMelAnalyzer(settings: settings, sampleRate: 16000)
        var calls = 0
        samples.withUnsafeBufferPointer { samples in
            analyzer.push(UnsafeBufferPointer(rebasing: samples[0..<511])) { _, _ in calls += 1 }
            #expect(calls == 0)
            analyzer.push(UnsafeBufferPointer(rebasing: samples[511...])) { rows, time in
                calls += 1
                #expect(rows.count == settings.filters && time == 0)
            }
        }
        #expect(calls == 1)
    }

    /// Each row against the definition computed apart, in Double: pre-emphasis, the centred
    /// periodic Hann window, the DFT, the filterbank's weights, 10·log10 (within 1e-3 dB) or
    /// ln (within 1e-4) of the energy floored at 1e-10, for an even and an odd FFT size, in the
    /// filters within 40 dB of the frame's loudest (below, float32 rounding of the loud bins
    /// dominates, as in the golden tests).
    @Test(arguments: [(400, 512), (401, 401)])
    func rowsMatchTheDefinition(frameLength: Int, fftSize: Int) {
        let samples = Self.signal(count: 4000)
        var emphasized = samples.map(Double.init)
        for n in stride(from: emphasized.count - 1, to: 0, by: -1) { emphasized[n] -= 0.97 * Double(samples[n - 1]) }
        for compression in [LogCompression.db, .ln] {
            let settings = Self.settings(frameLength: frameLength, fftSize: fftSize, hop: 160, compression: compression)
            let filterbank = MelFilterbank(filters: 26, fftSize: fftSize, sampleRate: 16000, minimumFrequency: 20,
                                           maximumFrequency: 7600, scale: .htk, normalization: .slaney)
            let (rows, _) = Self.logMel(samples, settings: settings, block: 1000)
            let offset = (fftSize - frameLength) / 2
            for (index, row) in rows.enumerated() {
                let frame = (0..<fftSize).map { n -> Float in
                    guard n >= offset && n < offset + frameLength else { return 0 }
                    let hann = 0.5 - 0.5 * cos(2 * Double.pi * Double(n - offset) / Double(frameLength))
                    return Float(emphasized[index * 160 + n] * hann)
                }
                let power = Self.directPowerSpectrum(frame)
                let expected = filterbank.weights.map { weights in
                    let energy = max(1e-10, zip(weights, power).reduce(0) { $0 + Double($1.0) * $1.1 })
                    return compression == .db ? 10 * log10(energy) : log(energy)
                }
                let range = compression == .db ? 40 : 40 / 10 * log(10.0)
                let loud = expected.indices.filter { expected[$0] > expected.max()! - range }
                let comparison = ValueComparison(loud.map { row[$0] }, loud.map { expected[$0] })
                #expect(comparison.isWithin(compression == .db ? 1e-3 : 1e-4), "frame \(index), \(compression): \(comparison)")
            }
        }
    }

    /// Rows of energies in one call give the cepstra of each row alone, and those match the
    /// orthonormal DCT-II with the sinusoidal lifter computed in Double (within 1e-5 of the row's
    /// largest), for fewer coefficients than a vector holds, more, and one.
    @Test(arguments: [(40, 13, 22), (40, 20, 0), (26, 1, 22), (64, 33, 22)])
    func cepstraOfABatchAreThoseOfEachRow(inputs: Int, coefficients: Int, lifter: Int) {
        let cepstrum = Cepstrum(inputs: inputs, coefficients: coefficients, lifter: lifter)
        let energies = Self.signal(count: inputs * 9).map { $0 * 40 - 30 }
        var batch = [Float](repeating: .nan, count: 9 * coefficients)
        energies.withUnsafeBufferPointer { energies in
            batch.withUnsafeMutableBufferPointer { cepstrum.apply(energies, into: $0) }
        }
        for row in 0..<9 {
            let input = Array(energies[(row * inputs)..<((row + 1) * inputs)])
            var alone = [Float](repeating: .nan, count: coefficients)
            input.withUnsafeBufferPointer { input in alone.withUnsafeMutableBufferPointer { cepstrum.apply(input, into: $0) } }
            #expect(Array(batch[(row * coefficients)..<((row + 1) * coefficients)]) == alone, "row \(row)")
            let expected = (0..<coefficients).map { k in
                let normal = (Double(k == 0 ? 1 : 2) / Double(inputs)).squareRoot()
                let lift = lifter > 0 ? 1 + Double(lifter) / 2 * sin(Double.pi * Double(k + 1) / Double(lifter)) : 1
                return normal * lift * input.enumerated().reduce(0) { sum, element in
                    sum + Double(element.element) * cos(Double.pi * Double(k) * Double(2 * element.offset + 1) / Double(2 * inputs))
                }
            }
            let comparison = ValueComparison(alone, expected, scale: max(1, expected.map(abs).max()!))
            #expect(comparison.isWithin(1e-5), "row \(row): \(comparison)")
        }
    }
}

/// The vector logarithm behind the log compression, on every path this processor runs.
@Suite struct VectorLogTests {
    static var widths: [VectorWidth] { VectorWidth.allCases.filter(\.runsHere) }

    /// Within 2e-7 (relative) of ln in Double, whatever the count (full vectors, a tail, both).
    @Test(arguments: widths)
    func naturalLogMatchesDouble(width: VectorWidth) {
        for count in [1, 7, 8, 15, 16, 17, 40, 1000] {
            let inputs = (0..<count).map { Float(1e-10) * pow(Float(1.9), Float($0 % 70)) + Float($0) * 1e-3 }
            var values = inputs
            values.withUnsafeMutableBufferPointer { VectorLog.naturalLog($0.baseAddress!, count: count, width: width) }
            let comparison = ValueComparison(values, inputs.map { log(Double($0)) }, scale: inputs.map { abs(log(Double($0))) }.max()!)
            #expect(comparison.isWithin(2e-7), "\(width), \(count) values: \(comparison)")
        }
    }

    /// A value's logarithm is the same wherever it lies in the buffer (among the full vectors
    /// or in the tail), so a frame computed alone equals the frame computed in a batch.
    @Test(arguments: widths)
    func resultDoesNotDependOnPosition(width: VectorWidth) {
        let inputs = (0..<37).map { Float($0 + 1) * 0.37 }
        var whole = inputs
        whole.withUnsafeMutableBufferPointer { VectorLog.naturalLog($0.baseAddress!, count: 37, width: width) }
        for (index, input) in inputs.enumerated() {
            var alone = [input]
            alone.withUnsafeMutableBufferPointer { VectorLog.naturalLog($0.baseAddress!, count: 1, width: width) }
            #expect(alone[0] == whole[index], "\(width): ln \(input)")
        }
    }
}
