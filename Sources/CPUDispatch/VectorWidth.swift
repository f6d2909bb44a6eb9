/// The vector path of a routine that has AVX-512, AVX2 (with FMA) and scalar versions: the
/// widest this processor runs is chosen at run time, never assumed at build time.
public enum VectorWidth: CaseIterable, Sendable {
    case avx512, avx2, scalar

    /// The widest path a processor with `features` runs.
    public init(for features: CPUFeatures) {
        self = features.contains(.avx512f) ? .avx512 : (features.isSuperset(of: [.avx2, .fma]) ? .avx2 : .scalar)
    }

    /// The widest path this processor runs.
    public static let widest = VectorWidth(for: .current)

    /// Whether this processor runs this path.
    public var runsHere: Bool {
        switch self {
        case .avx512: CPUFeatures.current.contains(.avx512f)
        case .avx2: CPUFeatures.current.isSuperset(of: [.avx2, .fma])
        case .scalar: true
        }
    }
}
