// swift-tools-version:6.0
import PackageDescription

/// Swift 5 language mode: the C libraries' pointers and the engine's worker threads are
/// checked by tests and review rather than by strict concurrency annotations.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "sergraph",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sergraph", targets: ["sergraph"]),
        .library(name: "StageKit", targets: ["StageKit"]),
        .library(name: "SERGraph", targets: ["SERGraph"]),
        .library(name: "StageTesting", targets: ["StageTesting"]),
        // Example stage plugins (Plugins/), loaded at run time from .build/<config>/lib<name>.so.
        .library(name: "DCBlocker", type: .dynamic, targets: ["DCBlocker"]),
        .library(name: "Loudness", type: .dynamic, targets: ["Loudness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
    ],
    targets: [
        // C system libraries (Debian -dev packages, found through pkg-config).
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CJack", pkgConfig: "jack", providers: [.apt(["libjack-jackd2-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLiblo", pkgConfig: "liblo", providers: [.apt(["liblo-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // glibc's vector expf and logf (libmvec), for softmax and log-mel, on the widest vectors the processor has.
        .systemLibrary(name: "CVectorMath"),
        // oneDNN (no pkg-config file in Debian's libdnnl-dev).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // What the processor offers (CPUID, XGETBV), read at run time to choose fast paths.
        .target(name: "CCPUFeatures"),
        // The processor's instruction-set extensions, read at run time, and the vector path they allow.
        .target(name: "CPUDispatch", dependencies: ["CCPUFeatures"], swiftSettings: swift5),
        // A thread-local "in real-time code" flag and a monotonic clock: C, because Swift has no
        // thread-local storage of its own.
        .target(name: "CRealtime"),

        // The plugin ABI: one C header of plain types and function pointers.
        .systemLibrary(name: "CStagePlugin"),
        // The SDK: stage protocol, ports, formats, parameters, the plugin entry point.
        // Foundation and the ABI header only.
        .target(name: "StageKit", dependencies: ["CStagePlugin"], swiftSettings: swift5),
        // Signal processing kernels.
        .target(name: "DSP", dependencies: ["CSoxr", "CFFTW", "CVectorMath", "CPUDispatch"], swiftSettings: swift5),
        // Audio file reading and writing through libsndfile.
        .target(name: "AudioFiles", dependencies: ["CSndFile"], swiftSettings: swift5),
        // The JACK host: client, lock-free rings, the real-time process callback.
        .target(name: "LiveAudio", dependencies: ["CJack", "CRealtime", .product(name: "Atomics", package: "swift-atomics")],
                swiftSettings: swift5),
        // Tensors on BLAS, safetensors, the wav2vec2 encoder.
        .target(name: "Neural", dependencies: ["COpenBLAS", "CDNNL", "CVectorMath", "CPUDispatch"], swiftSettings: swift5),
        // Neighbour graphs over embeddings (Neural Structured Learning): cosine top-k, exact or by hashing.
        .target(name: "NeighbourGraph", dependencies: ["Neural"], swiftSettings: swift5),
        // NumPy .npy arrays: feature files out, golden vectors in.
        .target(name: "ArrayFiles", swiftSettings: swift5),
        // zlib, for PNG pictures.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Classification measures (UA, WA, macro-F1) and the confusion matrix as a PNG picture.
        .target(name: "Evaluation", dependencies: ["CZlib"], swiftSettings: swift5),
        // Labelled corpora: manifests, speaker splits, corpus synthesis (espeak-ng, sox), file-name layouts.
        .target(name: "Corpora", dependencies: ["AudioFiles", "StageKit"], swiftSettings: swift5),
        // The engine: graph files, validation, scheduling, batch processing.
        .target(name: "SERGraph", dependencies: ["StageKit", "CStagePlugin", "Yams"], swiftSettings: swift5),
        // A harness that runs one stage outside a graph, for stage tests (ours and plugin authors').
        .target(name: "StageTesting", dependencies: ["StageKit", "AudioFiles"], swiftSettings: swift5),
        // Built-in stages.
        .target(name: "Stages", dependencies: ["StageKit", "DSP", "AudioFiles", "ArrayFiles", "LiveAudio", "CLiblo", "Neural"], swiftSettings: swift5),
        // The command-line tool.
        .executableTarget(
            name: "sergraph",
            dependencies: ["SERGraph", "Stages", "Neural", "DSP", "AudioFiles", "ArrayFiles", "Corpora", "Evaluation", "NeighbourGraph",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swift5),

        // Helpers shared by the test targets: temporary folders, subprocesses, test signals.
        .target(name: "TestSupport", path: "Tests/Support", swiftSettings: swift5),
        // Example stage plugins. SwiftPM reserves Plugins/ for package plugins, hence the paths.
        .target(name: "DCBlocker", dependencies: ["StageKit"], path: "Plugins/DCBlocker", swiftSettings: swift5),
        .systemLibrary(name: "CEbur128", path: "Plugins/CEbur128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        .target(name: "Loudness", dependencies: ["StageKit", "CEbur128"], path: "Plugins/Loudness", swiftSettings: swift5),

        // Test builds only: replaces malloc to count allocations made in real-time code.
        .target(name: "AllocationCounter", dependencies: ["CRealtime"], path: "Tests/AllocationCounter"),
        .testTarget(name: "LiveAudioTests", dependencies: ["LiveAudio", "SERGraph", "Stages", "AllocationCounter", "TestSupport", "DSP",
                                                           "AudioFiles", "CJack", "StageKit", "Neural", "ArrayFiles"], swiftSettings: swift5),
        .testTarget(name: "PluginTests", dependencies: ["SERGraph", "Stages", "StageTesting", "StageKit", "TestSupport", "AudioFiles"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "NeuralTests", dependencies: ["Neural", "CPUDispatch", "ArrayFiles", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "NeighbourGraphTests", dependencies: ["NeighbourGraph", "Corpora"], swiftSettings: swift5),
        .testTarget(name: "StageKitTests", dependencies: ["StageKit"], swiftSettings: swift5),
        .testTarget(name: "DSPTests", dependencies: ["DSP", "CPUDispatch", "AudioFiles", "Corpora", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "AudioFilesTests", dependencies: ["AudioFiles", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "SERGraphTests", dependencies: ["SERGraph", "Stages", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "StagesTests", dependencies: ["SERGraph", "Stages", "StageTesting", "AudioFiles", "ArrayFiles", "Corpora", "DSP", "Neural", "TestSupport"],
                    swiftSettings: swift5),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "CorporaTests", dependencies: ["Corpora", "AudioFiles", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "FuzzTests", dependencies: ["SERGraph", "Stages", "Neural", "StageKit", "TestSupport"], swiftSettings: swift5),
        .testTarget(name: "CLITests", dependencies: ["AudioFiles", "ArrayFiles", "TestSupport"], swiftSettings: swift5),
    ]
)
