import CCPUFeatures

/// The instruction-set extensions this processor has and the operating system enables, read at
/// run time (CPUID, XGETBV): fast paths are chosen by these, never assumed at build time.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(SERGRAPH_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(SERGRAPH_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(SERGRAPH_CPU_AVX512F))
    /// AVX-512 bfloat16 dot products (Cooper Lake, Sapphire Rapids, Zen 4 and later).
    public static let avx512BF16 = CPUFeatures(rawValue: UInt32(SERGRAPH_CPU_AVX512_BF16))
    /// AMX tiles with bfloat16 (Sapphire Rapids and later).
    public static let amxBF16 = CPUFeatures(rawValue: UInt32(SERGRAPH_CPU_AMX_BF16))

    /// This processor's.
    public static let current = CPUFeatures(rawValue: UInt32(sergraph_cpu_features()))

    /// The widest of its vector extensions, as a user would name it: AMX, AVX512-BF16, AVX-512,
    /// AVX2, or "no AVX2".
    public var description: String {
        if contains(.amxBF16) { return "AMX" }
        if contains(.avx512BF16) { return "AVX512-BF16" }
        if contains(.avx512f) { return "AVX-512" }
        if contains(.avx2) { return "AVX2" }
        return "no AVX2"
    }
}
