import CKernels
import Support
#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set levels the kernels come in, lowest first. A level includes the ones below it.
public enum KernelLevel: Int, Comparable, CaseIterable, Sendable {
    /// AVX2 + FMA (Haswell and later, Zen): the Swift kernels, cblas_sgemm; no bf16.
    case avx2
    /// AVX-512 F/BW/VL: fp32 attention micro-kernel on 32 zmm registers.
    case avx512
    /// AVX512-BF16 (Zen 4/5, Cooper Lake, Sapphire Rapids and later): bf16 products through VDPBF16PS.
    case avx512bf16
    /// AMX-BF16 tiles (Sapphire Rapids and later): bf16 products through TDPBF16PS.
    case amx

    /// The name used by `DDTRAIN_KERNELS`, `ddtrain env` and the bench JSON.
    public var name: String {
        switch self {
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        case .avx512bf16: return "avx512-bf16"
        case .amx: return "amx"
        }
    }

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }
}

/// What this CPU offers, read once with CPUID/XGETBV (and, for AMX, Linux's tile-data permission).
public struct CPUFeatures: Sendable {
    /// The brand string, e.g. "AMD EPYC 9R14" or "Intel(R) Xeon(R) Platinum 8488C".
    public let model: String
    public let avx2FMA: Bool, avx512: Bool, avx512BF16: Bool
    /// AMX-BF16 present in CPUID with tile state enabled by the OS.
    public let amxBF16: Bool
    /// The OS granted this process AMX tile data (false when amxBF16 is false).
    public let amxPermitted: Bool

    /// Detects the running CPU (requesting the AMX permission when AMX is present).
    public static let current: CPUFeatures = {
        var f = dd_cpu_features()
        dd_cpu_detect(&f)
        let model = withUnsafeBytes(of: f.model) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let amx = f.amx_bf16 != 0
        return CPUFeatures(model: model, avx2FMA: f.avx2_fma != 0, avx512: f.avx512f != 0, avx512BF16: f.avx512_bf16 != 0,
                           amxBF16: amx, amxPermitted: amx && dd_amx_request_permission() == 0)
    }()

    /// The highest level this CPU runs.
    public var highestLevel: KernelLevel {
        if amxBF16 && amxPermitted { return .amx }
        if avx512BF16 { return .avx512bf16 }
        if avx512 { return .avx512 }
        return .avx2
    }

    /// Feature names for reports ("avx2 fma avx512f avx512_bf16 amx_bf16").
    public var names: [String] {
        var n: [String] = []
        if avx2FMA { n += ["avx2", "fma"] }
        if avx512 { n += ["avx512f", "avx512bw", "avx512vl"] }
        if avx512BF16 { n.append("avx512_bf16") }
        if amxBF16 { n.append(amxPermitted ? "amx_bf16" : "amx_bf16(permission refused)") }
        return n
    }
}

/// The kernel level in force for this process and the kernel each role runs on.
///
/// Chosen once at start-up from the CPU (`CPUFeatures.current`) and `DDTRAIN_KERNELS` (`avx2`, `avx512`,
/// `avx512-bf16`, `amx`), which may force a lower level than the CPU's for tests and comparisons. Without it the
/// level is the CPU's highest, except that AMX is only used when asked for by name (`amxVerified`).
public enum KernelDispatch {
    /// Whether the AMX kernel's tests have passed on a CPU with AMX. Until they have, the default level stops at
    /// avx512-bf16 on AMX machines and AMX runs only with DDTRAIN_KERNELS=amx (see docs/kernels.md).
    public static let amxVerified = false

    /// The level in force on this thread: the process's (`configure`), or a test's override (`withLevel`).
    public static var level: KernelLevel {
        let forced = dd_level_override()
        return forced >= 0 ? KernelLevel(rawValue: Int(forced))! : processLevel
    }

    /// The process-wide level, set once by `configure`.
    nonisolated(unsafe) static var processLevel: KernelLevel = defaultLevel(CPUFeatures.current)

    /// Runs `body` with `level` in force on the calling thread only (tests comparing kernels on one CPU; the level
    /// must not exceed the CPU's).
    public static func withLevel<R>(_ level: KernelLevel, _ body: () throws -> R) rethrows -> R {
        precondition(level <= CPUFeatures.current.highestLevel, "kernel level \(level.name) is above this CPU's")
        let previous = dd_level_override()
        dd_set_level_override(Int32(level.rawValue))
        defer { dd_set_level_override(previous) }
        return try body()
    }

    /// The level used without DDTRAIN_KERNELS on a CPU with these features.
    public static func defaultLevel(_ cpu: CPUFeatures) -> KernelLevel {
        let top = cpu.highestLevel
        return top == .amx && !amxVerified ? .avx512bf16 : top
    }

    /// Resolves a requested level name (nil: the default) against the CPU; a level the CPU lacks is an error.
    public static func resolve(_ requested: String?, cpu: CPUFeatures = .current) throws -> KernelLevel {
        guard let requested, !requested.isEmpty else { return defaultLevel(cpu) }
        guard let want = KernelLevel.allCases.first(where: { $0.name == requested.lowercased() }) else {
            throw DDError("DDTRAIN_KERNELS is '\(requested)', not a kernel level "
                + "(fix: one of \(KernelLevel.allCases.map(\.name).joined(separator: ", ")), or unset it)")
        }
        guard want <= cpu.highestLevel else {
            throw DDError("DDTRAIN_KERNELS=\(want.name) but this CPU (\(cpu.model)) lacks it: its features are "
                + "\(cpu.names.joined(separator: " ")) (fix: ask for \(cpu.highestLevel.name) or lower, or unset it)")
        }
        return want
    }

    /// Reads DDTRAIN_KERNELS and sets `level`; called once at start-up by the command-line tool.
    public static func configure() throws {
        processLevel = try resolve(getenv("DDTRAIN_KERNELS").map { String(cString: $0) })
    }

    /// Whether the fp32 Linear products run on the project's GEMM (`GemmF32`, kernel level avx512 and above,
    /// bit-identical at every pool size) rather than cblas_sgemm (the avx2 level).
    public static var linearF32Own: Bool { level >= .avx512 }
    /// The fp32 Linear kernel at the current level: "f32-avx512" or "openblas-sgemm".
    public static var linearF32: String { linearF32Own ? "f32-avx512" : "openblas-sgemm" }
    /// The fp32 attention tile-product kernel at the current level.
    public static var attentionF32: String { level >= .avx512 ? "avx512-6x64" : "avx2-6x16" }
    /// The bf16 attention tile kernel (AVX512-BF16 on AMX machines too), nil below avx512-bf16.
    public static var attentionBF16: String? { level >= .avx512bf16 ? "avx512-bf16-6x64" : nil }
    /// The bf16 matrix-product kernel at the current level, nil below avx512-bf16.
    public static var gemmBF16: BF16Kernel? {
        switch level {
        case .amx: return .amx
        case .avx512bf16: return .avx512
        default: return nil
        }
    }

    /// Role → kernel at the current level, for `ddtrain env` and the bench JSON.
    public static var roles: [(role: String, kernel: String)] {
        [("linear_fp32", linearF32), ("attention_fp32", attentionF32),
         ("linear_bf16", gemmBF16.map { "bf16-\($0.name)" } ?? "unavailable"),
         ("attention_bf16", attentionBF16 ?? "unavailable")]
    }
}

extension KernelDispatch {
    /// The CPU and the kernels in force, as the fields every bench JSON (and `ddtrain env --json`) carries:
    /// cpu_model, cpu_features, kernel_level and kernels (role → kernel).
    public static var reportFields: [(String, JSON)] {
        let cpu = CPUFeatures.current
        return [("cpu_model", .string(cpu.model)), ("cpu_features", .array(cpu.names.map { .string($0) })),
                ("kernel_level", .string(level.name)),
                ("kernels", .object(roles.map { ($0.role, JSON.string($0.kernel)) }))]
    }
}
