import CFFTW
import Foundation

/// The spectrum of real frames of one size through FFTW (single precision). The plan is made
/// once, when the transform is created; each frame then only executes it, in FFTW's own
/// aligned buffers, so every frame takes exactly the same arithmetic.
///
/// An even size n runs as one complex transform of n/2 points — the even samples as real
/// parts, the odd ones as imaginary parts, which is how the frame already lies in memory — and
/// the two interleaved half spectra are then separated and combined with the twiddles
/// e^(−2πik/n). FFTW's own real-input plans for such sizes are about three times slower (a
/// scalar final pass). An odd size runs through FFTW's real-input transform.
public final class RealFFT: @unchecked Sendable {
    /// Samples per frame.
    public let size: Int
    /// Complex bins produced per frame: size/2 + 1.
    public var bins: Int { size / 2 + 1 }
    private let input: UnsafeMutablePointer<Float>
    /// FFTW's output: size/2 complex values (even sizes) or size/2 + 1 (odd sizes), interleaved.
    private let output: UnsafeMutablePointer<Float>
    /// Even sizes: cos(πk/h)/2 and sin(πk/h)/2 for k in 0..<h, h = size/2; empty for odd sizes.
    private let halfCosines: [Float], halfSines: [Float]
    private let plan: fftwf_plan

    /// FFTW's planner is not thread-safe; every plan is made under this lock.
    private static let planner = NSLock()

    /// Plans a transform of `size` real samples.
    public init(size: Int) {
        precondition(size > 0)
        self.size = size
        let half = size / 2
        let even = size % 2 == 0
        let input = fftwf_alloc_real(size)!
        let output = fftwf_alloc_complex(size / 2 + 1)!
        input.initialize(repeating: 0, count: size)
        self.input = input
        self.output = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
        halfCosines = even ? (0..<half).map { Float(cos(Double.pi * Double($0) / Double(half)) / 2) } : []
        halfSines = even ? (0..<half).map { Float(sin(Double.pi * Double($0) / Double(half)) / 2) } : []
        plan = Self.planner.withLock {
            if even {
                let complexInput = UnsafeMutableRawPointer(input).assumingMemoryBound(to: fftwf_complex.self)
                return fftwf_plan_dft_1d(Int32(half), complexInput, output, FFTW_FORWARD, UInt32(FFTW_ESTIMATE))
            }
            return fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))
        }
    }

    deinit {
        Self.planner.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Writes |X[k]|^power for k in 0...size/2 of `frame` (exactly `size` samples) to `spectrum`.
    public func spectrum(of frame: UnsafeBufferPointer<Float>, power: Float, into spectrum: UnsafeMutableBufferPointer<Float>) {
        precondition(frame.count == size)
        self.spectrum(power: power, into: spectrum) { $0.baseAddress!.update(from: frame.baseAddress!, count: size) }
    }

    /// Lets `fill` write the frame straight into the transform's input (`size` samples, which
    /// keep what the last frame left where `fill` does not write; zeros at first), then writes
    /// |X[k]|^power for k in 0...size/2 to `spectrum`.
    public func spectrum(power: Float, into spectrum: UnsafeMutableBufferPointer<Float>,
                         fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(spectrum.count >= bins)
        fill(UnsafeMutableBufferPointer(start: input, count: size))
        fftwf_execute(plan)
        let magnitudes = spectrum.baseAddress!
        if size % 2 == 0 { untangleSquaredMagnitudes(into: magnitudes) } else { squaredMagnitudes(into: magnitudes) }
        if power == 1 {
            for bin in 0..<bins { magnitudes[bin] = magnitudes[bin].squareRoot() }
        } else if power != 2 {
            for bin in 0..<bins { magnitudes[bin] = pow(magnitudes[bin], power / 2) }
        }
    }

    /// |X[k]|² from the half-length complex transform Z of an even-sized frame:
    /// X[k] = (Z[k] + Z̄[h−k])/2 − i·e^(−iπk/h)·(Z[k] − Z̄[h−k])/2, with Z[h] = Z[0].
    private func untangleSquaredMagnitudes(into magnitudes: UnsafeMutablePointer<Float>) {
        let half = size / 2
        let z = output
        magnitudes[0] = (z[0] + z[1]) * (z[0] + z[1])
        magnitudes[half] = (z[0] - z[1]) * (z[0] - z[1])
        halfCosines.withUnsafeBufferPointer { cosines in
            halfSines.withUnsafeBufferPointer { sines in
                for k in 1..<max(1, half) {
                    let (ar, ai) = (z[2 * k], z[2 * k + 1])
                    let (br, bi) = (z[2 * (half - k)], z[2 * (half - k) + 1])
                    let (sumReal, differenceImaginary) = (ar + br, ai - bi)
                    let (sumImaginary, differenceReal) = (ai + bi, br - ar)
                    let real = 0.5 * sumReal + cosines[k] * sumImaginary + sines[k] * differenceReal
                    let imaginary = 0.5 * differenceImaginary + cosines[k] * differenceReal - sines[k] * sumImaginary
                    magnitudes[k] = real * real + imaginary * imaginary
                }
            }
        }
    }

    /// |X[k]|² from FFTW's real-input transform of an odd-sized frame.
    private func squaredMagnitudes(into magnitudes: UnsafeMutablePointer<Float>) {
        for bin in 0..<bins { magnitudes[bin] = output[2 * bin] * output[2 * bin] + output[2 * bin + 1] * output[2 * bin + 1] }
    }
}
