// swift-tools-version:6.0
import PackageDescription

/// Hot numeric code is built for AVX2/FMA (portable to any x86-64 from Haswell on) with overflow checks off.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"]),
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux])),
]

let package = Package(
    name: "ddtrain",
    products: [
        .executable(name: "ddtrain", targets: ["ddtrain"]),
        // For fuzz/ (a separate package that links the readers with libFuzzer), each fuzzer linking only what it
        // parses: the data readers (Corpus: manifests, Megatron indexes, llm.c headers) without any training code,
        // and the training-config parser (Trainer) for the config fuzzer alone.
        .library(name: "DDTrainReaders", targets: ["Support", "Corpus"]),
        .library(name: "DDTrainConfig", targets: ["Support", "Trainer"]),
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Support"),
        // Kernels chosen at run time per CPU (AVX-512, AVX512-BF16, AMX): each variant carries its own
        // __attribute__((target(...))), so the target as a whole stays portable to any x86-64.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Kernels", dependencies: ["CKernels", "COpenBLAS", "Support"], swiftSettings: fastMath),
        .target(name: "Transformer", dependencies: ["Kernels", "Support"], swiftSettings: fastMath),
        .target(name: "Corpus", dependencies: ["Support"], swiftSettings: fastMath),
        .target(name: "Curriculum", dependencies: ["Support"], swiftSettings: fastMath),
        .target(name: "Comm", dependencies: ["CMPI", "Support"]),
        .target(name: "Trainer", dependencies: ["Transformer", "Kernels", "Corpus", "Curriculum", "Comm", "Support"]),
        // Beside Trainer: other formats (safetensors, Hugging Face names), export and import, sampling.
        .target(name: "Interop", dependencies: ["Trainer", "Transformer", "Corpus", "Support"]),
        // Beside Trainer: report tables, measures and SVG plots of run folders; sweep files and their runner.
        .target(name: "Reports", dependencies: ["Trainer", "Transformer", "Kernels", "Corpus", "Curriculum", "Comm", "Support"]),
        .executableTarget(name: "ddtrain", dependencies: ["Interop", "Reports", "Trainer", "Transformer", "Kernels", "Corpus", "Curriculum", "Comm", "Support", "COpenBLAS"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The prepared datasets and configs the trainer, report and command-line tests share.
        .target(name: "TrainerFixtures", dependencies: ["TestSupport", "Trainer", "Transformer", "Corpus", "Support"], path: "Tests/TrainerFixtures"),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "KernelsTests", dependencies: ["TestSupport", "Kernels", "Support"]),
        .testTarget(name: "TransformerTests", dependencies: ["TestSupport", "Transformer", "Kernels", "Support"], exclude: ["Golden"]),
        .testTarget(name: "CorpusTests", dependencies: ["TestSupport", "Corpus", "Support"], exclude: ["Golden"]),
        .testTarget(name: "CurriculumTests", dependencies: ["TestSupport", "Curriculum", "Corpus", "Support"]),
        .testTarget(name: "CommTests", dependencies: ["TestSupport", "Comm", "Support"]),
        .testTarget(name: "TrainerTests", dependencies: ["TestSupport", "TrainerFixtures", "Trainer", "Transformer", "Kernels", "Corpus", "Curriculum", "Comm", "Support"]),
        .testTarget(name: "ReliabilityTests", dependencies: ["TestSupport", "Trainer", "Corpus", "Comm", "Support"]),
        .testTarget(name: "ReportsTests", dependencies: ["TestSupport", "TrainerFixtures", "Reports", "Trainer", "Comm", "Support"]),
        .testTarget(name: "InteropTests", dependencies: ["TestSupport", "TrainerFixtures", "Interop", "Trainer", "Transformer", "Corpus", "Support"]),
        // The command-line tests: they drive the built ddtrain binary.
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "TrainerFixtures", "Trainer", "Transformer", "Kernels", "Corpus", "Support"]),
    ],
    // Language mode 5: the numeric code shares raw buffers between threads on purpose (comm thread,
    // in-process test ranks); Swift 6's data-race checking would force wrappers on every buffer.
    swiftLanguageModes: [.v5]
)
