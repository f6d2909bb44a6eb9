import CVectorMath
import Foundation

/// Softmax's exponentials and GELU over buffers, with the widest instructions the processor has
/// (chosen at run time by `CPUFeatures`): Swift compiles for the baseline x86-64 and neither
/// vectorises libm calls nor float reductions itself.
enum VectorMath {
    enum Width: CaseIterable { case avx512, avx2, scalar }

    /// The widest path `features` can run.
    static func width(for features: CPUFeatures) -> Width {
        features.contains(.avx512f) ? .avx512 : (features.isSuperset(of: [.avx2, .fma]) ? .avx2 : .scalar)
    }

    private static let widest = width(for: .current)

    /// Softmax's numerators in place, values[i] = e^(values[i] − max values), and their sum (the
    /// denominator), on the widest path this processor has (or `width`): the vector paths' e^x
    /// (x ≤ 0) within a few units in the last place of libm's.
    static func softmaxNumerators(_ values: UnsafeMutablePointer<Float>, count: Int, width: Width = widest) -> Float {
        switch width {
        case .avx512: return sergraph_softmax_numerators_avx512(values, count)
        case .avx2: return sergraph_softmax_numerators_avx2(values, count)
        case .scalar:
            var largest = -Float.infinity
            for index in 0..<count { largest = max(largest, values[index]) }
            var sum: Float = 0
            for index in 0..<count {
                values[index] = Foundation.exp(values[index] - largest)
                sum += values[index]
            }
            return sum
        }
    }

    /// GELU in place, x·Φ(x) = x/2·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.28 (|error| ≤ 3·10⁻⁷),
    /// 8 lanes wide where the processor has AVX2 (or `width` has it), one by one otherwise.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int, width: Width = widest) {
        switch width {
        case .avx512, .avx2: sergraph_gelu_avx2(values, count)
        case .scalar: sergraph_gelu_scalar(values, count)
        }
    }
}
