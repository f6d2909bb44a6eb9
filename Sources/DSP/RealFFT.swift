import CFFTW
import Foundation

/// The spectrum of real frames of one size through FFTW (single precision). The plan is made
/// once, when the transform is created; each frame then only executes it.
public final class RealFFT: @unchecked Sendable {
    /// Samples per frame.
    public let size: Int
    /// Complex bins produced per frame: size/2 + 1.
    public var bins: Int { size / 2 + 1 }
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    /// FFTW's planner is not thread-safe; every plan is made under this lock.
    private static let planner = NSLock()

    /// Plans a transform of `size` real samples.
    public init(size: Int) {
        self.size = size
        let input = fftwf_alloc_real(size)!
        let output = fftwf_alloc_complex(size / 2 + 1)!
        self.input = input
        self.output = output
        plan = Self.planner.withLock {
            fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))
        }
    }

    deinit {
        Self.planner.withLock { fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Writes |X[k]|^power for k in 0...size/2 of `frame` (exactly `size` samples) to `spectrum`.
    public func spectrum(of frame: UnsafeBufferPointer<Float>, power: Float, into spectrum: UnsafeMutableBufferPointer<Float>) {
        precondition(frame.count == size && spectrum.count >= bins)
        input.update(from: frame.baseAddress!, count: size)
        fftwf_execute(plan)
        let complex = UnsafeRawPointer(output).assumingMemoryBound(to: Float.self)
        if power == 2 {
            for bin in 0..<bins { spectrum[bin] = complex[2 * bin] * complex[2 * bin] + complex[2 * bin + 1] * complex[2 * bin + 1] }
        } else {
            for bin in 0..<bins {
                let squared = complex[2 * bin] * complex[2 * bin] + complex[2 * bin + 1] * complex[2 * bin + 1]
                spectrum[bin] = power == 1 ? squared.squareRoot() : pow(squared, power / 2)
            }
        }
    }
}
