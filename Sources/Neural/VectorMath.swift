import CVectorMath
import Foundation

/// Element-wise functions over buffers through glibc's vector math library (libmvec), with the
/// widest instructions the processor has (chosen at run time by `CPUFeatures`); Swift does not
/// vectorise libm calls itself.
enum VectorMath {
    enum Width: CaseIterable { case avx512, avx2, scalar }

    /// The widest path `features` can run.
    static func width(for features: CPUFeatures) -> Width {
        features.contains(.avx512f) ? .avx512 : (features.isSuperset(of: [.avx2, .fma]) ? .avx2 : .scalar)
    }

    private static let widest = width(for: .current)

    /// values[i] = e^values[i], in place, on the widest path this processor has (or `width`).
    static func exp(_ values: UnsafeMutablePointer<Float>, count: Int, width: Width = widest) {
        switch width {
        case .avx512: sergraph_exp_avx512(values, count)
        case .avx2: sergraph_exp_avx2(values, count)
        case .scalar: for index in 0..<count { values[index] = Foundation.exp(values[index]) }
        }
    }
}
