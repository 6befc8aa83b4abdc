/// How this binary was built, for `ddtrain env` and benchmark reports.
public enum BuildInfo {
    /// Optimisation and code-generation flags of the numeric targets (kept in step with Package.swift).
    public static let numericFlags = "Swift: -Ounchecked -target-cpu haswell (AVX2, FMA); C kernels: -O3, AVX-512, "
        + "AVX512-BF16 and AMX variants chosen at run time"
    /// "debug" or "release".
    public static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }
}
