// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for ddtrain's readers of untrusted input; each links only what it parses (DDTrainReaders: the
/// data readers; DDTrainConfig: the training-config parser). Build with tools/fuzz.sh (it passes
/// `-sanitize=fuzzer,address` to every module so the readers are instrumented too). The targets are compiled
/// as libraries-with-entry-point: libFuzzer supplies `main`, each target exports `LLVMFuzzerTestOneInput`.
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "ddtrain-fuzz",
    dependencies: [.package(name: "ddtrain", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", .product(name: "DDTrainReaders", package: "ddtrain")]),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", .product(name: "DDTrainConfig", package: "ddtrain")], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzSupport", .product(name: "DDTrainReaders", package: "ddtrain")], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzMegatronIndex", dependencies: ["FuzzSupport", .product(name: "DDTrainReaders", package: "ddtrain")], swiftSettings: fuzzTarget),
        .executableTarget(name: "FuzzLLMCHeader", dependencies: ["FuzzSupport", .product(name: "DDTrainReaders", package: "ddtrain")], swiftSettings: fuzzTarget),
    ],
    swiftLanguageModes: [.v5]
)
