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
    /// X[k] = (Z[k] + Z̄[h−k])/2 − i·e^(−iπk/h)·(Z[k] − Z̄[h−k])/2, with Z[h] = Z[0]; four bins
    /// at a time (Z[k...k+3] against Z[h−k−3...h−k] reversed), the last few one by one.
    private func untangleSquaredMagnitudes(into magnitudes: UnsafeMutablePointer<Float>) {
        let half = size / 2
        let z = output
        magnitudes[0] = (z[0] + z[1]) * (z[0] + z[1])
        magnitudes[half] = (z[0] - z[1]) * (z[0] - z[1])
        halfCosines.withUnsafeBufferPointer { cosines in
            halfSines.withUnsafeBufferPointer { sines in
                let complex = UnsafeRawPointer(z), cosine = UnsafeRawPointer(cosines.baseAddress), sine = UnsafeRawPointer(sines.baseAddress)
                var k = 1
                while k + 4 <= half {
                    let a = complex.loadUnaligned(fromByteOffset: 8 * k, as: SIMD8<Float>.self)
                    let b = complex.loadUnaligned(fromByteOffset: 8 * (half - k - 3), as: SIMD8<Float>.self)
                    let (ar, ai) = (a.evenHalf, a.oddHalf)
                    let (br, bi) = (SIMD4(b[6], b[4], b[2], b[0]), SIMD4(b[7], b[5], b[3], b[1]))
                    let squared = Self.untangled(ar, ai, br, bi, cosine!.loadUnaligned(fromByteOffset: 4 * k, as: SIMD4<Float>.self),
                                                 sine!.loadUnaligned(fromByteOffset: 4 * k, as: SIMD4<Float>.self))
                    UnsafeMutableRawPointer(magnitudes + k).storeBytes(of: squared, as: SIMD4<Float>.self)
                    k += 4
                }
                for k in k..<max(k, half) {
                    magnitudes[k] = Self.untangled(z[2 * k], z[2 * k + 1], z[2 * (half - k)], z[2 * (half - k) + 1], cosines[k], sines[k])
                }
            }
        }
    }

    /// |X[k]|² from a = Z[k], b = Z[h−k] and (cos, sin)(πk/h)/2, for one bin or a vector of bins.
    @inline(__always)
    private static func untangled<V: SIMDOrScalar>(_ ar: V, _ ai: V, _ br: V, _ bi: V, _ halfCosine: V, _ halfSine: V) -> V {
        let (sumReal, differenceImaginary) = (ar + br, ai - bi)
        let (sumImaginary, differenceReal) = (ai + bi, br - ar)
        let real = V.half * sumReal + halfCosine * sumImaginary + halfSine * differenceReal
        let imaginary = V.half * differenceImaginary + halfCosine * differenceReal - halfSine * sumImaginary
        return real * real + imaginary * imaginary
    }

    /// |X[k]|² from FFTW's real-input transform of an odd-sized frame.
    private func squaredMagnitudes(into magnitudes: UnsafeMutablePointer<Float>) {
        for bin in 0..<bins { magnitudes[bin] = output[2 * bin] * output[2 * bin] + output[2 * bin + 1] * output[2 * bin + 1] }
    }
}

/// Float and vectors of Float, for arithmetic written once for both.
protocol SIMDOrScalar {
    static var half: Self { get }
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
}

extension Float: SIMDOrScalar { static var half: Float { 0.5 } }
extension SIMD4<Float>: SIMDOrScalar { static var half: SIMD4<Float> { SIMD4(repeating: 0.5) } }
