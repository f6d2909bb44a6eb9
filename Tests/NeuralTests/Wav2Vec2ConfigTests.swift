import Foundation
import Neural
import Testing
import TestSupport

/// Every integer of a model's config.json is range-checked: a value the encoder cannot use is
/// refused naming the file and the key, before any size is computed from it.
@Suite struct Wav2Vec2ConfigTests {
    static let base = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny/config.json"

    /// base-tiny's config with `key` set to `value`, written to a folder of its own.
    func config(_ key: String, _ value: Any, in folder: TemporaryFolder) throws -> String {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.base))) as? [String: Any])
        json[key] = value
        let path = folder.file("config.json")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// (key, value, the reason given). base-tiny is 48 wide with 4 heads, 7 convolutions.
    static let cases: [(String, Any, String)] = [
        ("num_attention_heads", 0, "`num_attention_heads` = 0 is out of range 1...48"),
        ("num_attention_heads", -4, "`num_attention_heads` = -4 is out of range 1...48"),
        ("num_attention_heads", 5, "`hidden_size` 48 is not a multiple of `num_attention_heads` 5"),
        ("hidden_size", 0, "`hidden_size` = 0 is out of range 1...65536"),
        ("hidden_size", 1_000_000_000_000, "`hidden_size` = 1000000000000 is out of range 1...65536"),
        ("num_hidden_layers", -1, "`num_hidden_layers` = -1 is out of range 1...1024"),
        ("num_hidden_layers", 0, "`num_hidden_layers` = 0 is out of range 1...1024"),
        ("intermediate_size", 0, "`intermediate_size` = 0 is out of range 1...524288"),
        ("num_conv_pos_embeddings", 0, "`num_conv_pos_embeddings` = 0 is out of range 1...65536"),
        ("num_conv_pos_embedding_groups", 0, "`num_conv_pos_embedding_groups` = 0 is out of range 1...48"),
        ("num_conv_pos_embedding_groups", 5, "`hidden_size` 48 is not a multiple of `num_conv_pos_embedding_groups` 5"),
        ("conv_stride", [5, 2, 0, 2, 2, 2, 2], "`conv_stride`[2] = 0 is out of range 1...65536"),
        ("conv_stride", [5, 2, -2, 2, 2, 2, 2], "`conv_stride`[2] = -2 is out of range 1...65536"),
        ("conv_kernel", [10, 3, 3, 3, 3, 2, 0], "`conv_kernel`[6] = 0 is out of range 1...65536"),
        ("conv_dim", [32, 32, 32, 32, 32, -32, 32], "`conv_dim`[5] = -32 is out of range 1...65536"),
        ("conv_dim", [32, 32, 32, 32, 32, 32], "conv_dim, conv_kernel and conv_stride differ in length (6, 7, 7)"),
        ("conv_dim", [Int](), "`conv_dim` is missing or not a list of integers"),
        ("conv_stride", [65536, 65536, 2, 2, 2, 2, 2], "`conv_stride` [65536, 65536, 2, 2, 2, 2, 2] makes frames of more than 1048576 samples"),
        ("num_attention_heads", "4", "`num_attention_heads` is missing or not an integer"),
        ("layer_norm_eps", -1.0, "`layer_norm_eps` = -1.0 is out of range 0..<1"),
    ]

    @Test(arguments: cases.indices)
    func outOfRangeValueIsNamed(index: Int) throws {
        let (key, value, reason) = Self.cases[index]
        let folder = try TemporaryFolder("config")
        let path = try config(key, value, in: folder)
        #expect(throws: ModelError.self) { try Wav2Vec2Config(path: path) }
        do { _ = try Wav2Vec2Config(path: path) } catch {
            #expect("\(error)" == "\(path): \(reason)")
        }
    }

    /// The encoder refuses the folder the same way, before reading its weights.
    @Test func encoderRefusesABrokenConfig() throws {
        let folder = try TemporaryFolder("config-encoder")
        let path = try config("num_attention_heads", 0, in: folder)
        try FileManager.default.copyItem(atPath: packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny/model.safetensors",
                                         toPath: folder.file("model.safetensors"))
        do {
            _ = try Wav2Vec2Encoder(folder: folder.path)
            Issue.record("a config with 0 attention heads was accepted")
        } catch {
            #expect("\(error)" == "\(path): `num_attention_heads` = 0 is out of range 1...48")
        }
    }

    /// The fixture's own config passes, with the values it holds.
    @Test func validConfigLoads() throws {
        let config = try Wav2Vec2Config(path: Self.base)
        #expect(config.hiddenSize == 48 && config.heads == 4 && config.layers == 3 && config.positionalGroups == 4)
        #expect(config.convolutionStrides == [5, 2, 2, 2, 2, 2, 2] && config.samplesPerFrame == 320)
    }
}
