import CVectorMath
import Foundation

/// Element-wise functions over buffers through glibc's vector math library (libmvec), with the
/// widest instructions the processor has; Swift does not vectorise libm calls itself.
enum VectorMath {
    private enum Width { case avx512, avx2, scalar }

    private static let width: Width = sergraph_cpu_has_avx512f() != 0 ? .avx512 : (sergraph_cpu_has_avx2_fma() != 0 ? .avx2 : .scalar)

    /// values[i] = e^values[i], in place.
    static func exp(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch width {
        case .avx512: sergraph_exp_avx512(values, count)
        case .avx2: sergraph_exp_avx2(values, count)
        case .scalar: for index in 0..<count { values[index] = Foundation.exp(values[index]) }
        }
    }
}
