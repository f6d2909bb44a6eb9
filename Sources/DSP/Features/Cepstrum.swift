import Foundation

/// Cepstral coefficients from log filterbank energies: an orthonormal DCT-II, then a
/// sinusoidal lifter.
public struct Cepstrum: Sendable {
    /// Log energies per frame.
    public let inputs: Int
    /// Coefficients kept.
    public let coefficients: Int
    /// basis[n·coefficients + k]: the orthonormal DCT-II basis, lifter folded in, laid out so
    /// that each energy updates every coefficient in one contiguous pass.
    private let basis: [Float]

    /// A transform of `inputs` log energies into `coefficients` cepstra, liftered with
    /// 1 + (L/2)·sin(π(k+1)/L) when `lifter` L > 0.
    public init(inputs: Int, coefficients: Int, lifter: Int) {
        self.inputs = inputs
        self.coefficients = coefficients
        let normals = (0..<coefficients).map { k in
            let normal = k == 0 ? (1 / Double(inputs)).squareRoot() : (2 / Double(inputs)).squareRoot()
            let lift = lifter > 0 ? 1 + Double(lifter) / 2 * sin(Double.pi * Double(k + 1) / Double(lifter)) : 1
            return normal * lift
        }
        basis = (0..<inputs).flatMap { n in
            (0..<coefficients).map { k in Float(normals[k] * cos(Double.pi * Double(k) * Double(2 * n + 1) / Double(2 * inputs))) }
        }
    }

    /// The cepstra of frames of log energies: rows of `inputs` in, rows of `coefficients` out
    /// (room for as many rows), each coefficient summed over the energies in order.
    public func apply(_ energies: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let rows = energies.count / inputs
        precondition(output.count >= rows * coefficients)
        basis.withUnsafeBufferPointer { basis in
            for row in 0..<rows {
                let cepstrum = output.baseAddress! + row * coefficients
                let energy = energies.baseAddress! + row * inputs
                cepstrum.update(repeating: 0, count: coefficients)
                for n in 0..<inputs {
                    let weights = basis.baseAddress! + n * coefficients
                    for k in 0..<coefficients { cepstrum[k] += weights[k] * energy[n] }
                }
            }
        }
    }
}
