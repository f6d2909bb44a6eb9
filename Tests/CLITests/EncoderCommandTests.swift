import ArrayFiles
import Foundation
import Testing
import TestSupport

/// `sergraph embed` and graphs with the encoder, run by the executable.
@Suite struct EncoderCommandTests {
    let model = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"
    let speech = packageRoot + "/Tests/Fixtures/speech-16k.wav"
    /// What an AVX2-only machine offers oneDNN, made on any machine.
    let avx2Only = ["DNNL_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"]

    /// bfloat16 where oneDNN cannot dispatch bfloat16 kernels: a clear refusal, exit 2, no
    /// output (before: oneDNN's status 3 tripped a precondition and the process died).
    @Test func bfloat16IsRefusedWhereOneDNNHasNoBFloat16Kernels() throws {
        let folder = try TemporaryFolder("embed-avx2")
        let result = try runCommandWithEnvironment(avx2Only, sergraphExecutable,
                                                   ["embed", model, speech, "-o", folder.path, "--precision", "bfloat16"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("precision bfloat16 needs AVX512-BF16 or AMX; this CPU has "), "\(result.stderr)")
        #expect(result.stderr.contains("AVX2"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    /// The same refusal for the stage's `precision` parameter, at validation: naming the stage,
    /// before any file runs.
    @Test func bfloat16StageIsRefusedWhereOneDNNHasNoBFloat16Kernels() throws {
        let folder = try TemporaryFolder("stage-avx2")
        let graph = "file-source ! wav2vec2-encoder model=\(model) precision=bfloat16 ! npy-sink path={stem}.npy"
        let result = try runCommandWithEnvironment(avx2Only, sergraphExecutable, ["process", graph, speech, "-o", folder.path])
        #expect(result.status == 2, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("<command line>:1:15: error: stage 'wav2vec2-encoder': precision bfloat16 needs AVX512-BF16 or AMX"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("speech-16k.npy")))
    }

    /// float32 runs on what an AVX2-only machine offers, and gives what it gives here.
    @Test func float32RunsOnAVX2Kernels() throws {
        let limited = try TemporaryFolder("embed-f32-avx2"), native = try TemporaryFolder("embed-f32")
        let arguments = ["embed", model, speech, "--layers", "0,2"]
        let a = try runCommandWithEnvironment(avx2Only, sergraphExecutable, arguments + ["-o", limited.path])
        let b = try runCommand(sergraphExecutable, arguments + ["-o", native.path])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        for layer in [0, 2] {
            let x = try NpyArray(path: limited.file("speech-16k.layer-\(layer).npy"))
            let y = try NpyArray(path: native.file("speech-16k.layer-\(layer).npy"))
            #expect(x.rows == 131 && x.columns == 48 && y.rows == x.rows && y.columns == x.columns)
            #expect(zip(x.values, y.values).allSatisfy { abs($0 - $1) <= 1e-4 })
        }
    }

    /// int8 on oneDNN's AVX2 kernels (no VNNI: ±63 weights): every layer within 6e-2 of its
    /// largest value from float32, the tolerance `Int8Tests` holds the native kernels to.
    @Test func int8RunsOnAVX2KernelsWithinItsTolerance() throws {
        let result = try runCommandWithEnvironment(avx2Only, sergraphExecutable,
                                                   ["bench", "encoder", model, "--seconds", "2", "--runs", "1", "--precision", "int8"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("onednn_isa=AVX2\n"), "\(result.stdout)")
        let errors = result.stdout.split(separator: "\n").compactMap { line in
            line.hasPrefix("layer=") ? line.split(separator: " ").first { $0.hasPrefix("max_error_of_largest=") }
                .flatMap { Double($0.dropFirst("max_error_of_largest=".count)) } : nil
        }
        #expect(errors.count == 4, "\(result.stdout)")
        #expect(errors.allSatisfy { $0 <= 6e-2 && $0 > 0 }, "\(errors)")
    }

    /// QEMU's user-mode emulator, if installed (qemu-user, in scripts/setup).
    static let qemu = ["/usr/bin/qemu-x86_64"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The executable on an emulated AVX2-only processor (QEMU's Haswell model, which has no
    /// AVX-512 at all: an AVX-512 instruction there is SIGILL). The processor itself reports
    /// AVX2, so this checks the CPUID detection, the vector kernels' and OpenBLAS's run-time choices.
    @Test(.enabled("needs qemu-x86_64 (qemu-user, installed by scripts/setup)") {
        if qemu == nil { print("emulated AVX2 test skipped: no /usr/bin/qemu-x86_64 (install qemu-user)") }
        return qemu != nil
    })
    func embedRunsOnAnEmulatedAVX2Processor() throws {
        let emulated = try TemporaryFolder("embed-qemu"), native = try TemporaryFolder("embed-native")
        let arguments = ["embed", model, speech, "--layers", "3"]
        let refused = try runCommandWithEnvironment(["OPENBLAS_CORETYPE": ""], Self.qemu!, ["-cpu", "Haswell", sergraphExecutable]
            + arguments + ["-o", emulated.path, "--precision", "bfloat16"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("precision bfloat16 needs AVX512-BF16 or AMX; this CPU has AVX2 (use precision float32)"),
                "\(refused.stderr)")
        let a = try runCommandWithEnvironment(["OPENBLAS_CORETYPE": ""], Self.qemu!, ["-cpu", "Haswell", sergraphExecutable]
            + arguments + ["-o", emulated.path])
        let b = try runCommand(sergraphExecutable, arguments + ["-o", native.path])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        let x = try NpyArray(path: emulated.file("speech-16k.layer-3.npy")), y = try NpyArray(path: native.file("speech-16k.layer-3.npy"))
        #expect(x.rows == 131 && x.columns == 48 && y.rows == x.rows && y.columns == x.columns)
        #expect(zip(x.values, y.values).allSatisfy { abs($0 - $1) <= 1e-4 })
    }

    /// A model folder whose config.json is broken: `validate` reports it at the stage's line,
    /// with or without an input to agree formats, and `process` refuses the graph before any
    /// file runs (before: validate said ok, and the run trapped dividing by 0 heads).
    @Test func brokenModelConfigIsReportedByValidate() throws {
        let folder = try TemporaryFolder("broken-model")
        let modelFolder = folder.file("model")
        try FileManager.default.createDirectory(atPath: modelFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model + "/model.safetensors", toPath: modelFolder + "/model.safetensors")
        let config = try String(contentsOfFile: model + "/config.json", encoding: .utf8)
        let broken = config.replacingOccurrences(of: #""num_attention_heads": 4"#, with: #""num_attention_heads": 0"#)
        try #require(broken != config)
        try broken.write(toFile: modelFolder + "/config.json", atomically: true, encoding: .utf8)
        let graph = folder.file("graph.yaml")
        try """
            chain:
              - file-source: {channel: mix}
              - resample: {rate: 16000}
              - wav2vec2-encoder:
                  model: model
              - npy-sink: {path: "{stem}.npy"}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let expected = "\(graph):4:5: error: stage 'wav2vec2-encoder': \(modelFolder)/config.json: `num_attention_heads` = 0 is out of range 1...48"
        for arguments in [["validate", graph], ["validate", "--input", speech, graph]] {
            let result = try runCommand(sergraphExecutable, arguments)
            #expect(result.status == 1, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(!result.stdout.contains("ok"))
        }
        let run = try runCommand(sergraphExecutable, ["process", graph, speech, "-o", folder.file("out")])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(expected), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/speech-16k.npy")))
    }
}
