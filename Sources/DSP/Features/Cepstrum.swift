import Foundation

/// Cepstral coefficients from log filterbank energies: an orthonormal DCT-II, then a
/// sinusoidal lifter.
public struct Cepstrum: Sendable {
    /// Coefficients kept.
    public let coefficients: Int
    /// basis[k][n]: the orthonormal DCT-II basis, lifter folded in.
    private let basis: [[Float]]

    /// A transform of `inputs` log energies into `coefficients` cepstra, liftered with
    /// 1 + (L/2)·sin(π(k+1)/L) when `lifter` L > 0.
    public init(inputs: Int, coefficients: Int, lifter: Int) {
        self.coefficients = coefficients
        basis = (0..<coefficients).map { k in
            let normal = k == 0 ? (1 / Double(inputs)).squareRoot() : (2 / Double(inputs)).squareRoot()
            let lift = lifter > 0 ? 1 + Double(lifter) / 2 * sin(Double.pi * Double(k + 1) / Double(lifter)) : 1
            return (0..<inputs).map { n in Float(normal * lift * cos(Double.pi * Double(k) * Double(2 * n + 1) / Double(2 * inputs))) }
        }
    }

    /// The cepstrum of one frame of log energies.
    public func apply(_ energies: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        for (k, row) in basis.enumerated() {
            var sum: Float = 0
            for (n, weight) in row.enumerated() { sum += weight * energies[n] }
            output[k] = sum
        }
    }
}
