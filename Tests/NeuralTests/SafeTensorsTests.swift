import Foundation
import Neural
import Testing
import TestSupport

/// safetensors files: round trips, the three dtypes, and a clear error for each kind of damage.
@Suite struct SafeTensorsTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder("safetensors") }

    /// Writes a file from a header dictionary and raw data bytes.
    func write(header: Any, data: [UInt8], name: String = "t.safetensors", claimedLength: UInt64? = nil) throws -> String {
        let json = try JSONSerialization.data(withJSONObject: header)
        var file = Data()
        withUnsafeBytes(of: (claimedLength ?? UInt64(json.count)).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(contentsOf: data)
        let path = folder.file(name)
        try file.write(to: URL(fileURLWithPath: path))
        return path
    }

    func error(_ path: String) -> String {
        do {
            _ = try SafeTensorsFile(path: path)
            return "read"
        } catch {
            return "\(error)"
        }
    }

    @Test func roundTrip() throws {
        let path = folder.file("w.safetensors")
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [4], values: [-1, 0.5, 1e-8, 3e8])
        try SafeTensorsWriter.write(["layer.a": a, "layer.b": b], metadata: ["format": "pt"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("layer.a") == a)
        #expect(try file.tensor("layer.b") == b)
        #expect(file.metadata["format"] == "pt")
        #expect(file.entries["layer.a"]?.shape == [2, 3])
    }

    @Test func halfAndBFloat16LoadAsFloat32() throws {
        // 1.5 and −2 as IEEE half (0x3E00, 0xC000) and as bfloat16 (0x3FC0, 0xC000).
        let path = try write(header: ["h": ["dtype": "F16", "shape": [2], "data_offsets": [0, 4]],
                                      "b": ["dtype": "BF16", "shape": [2], "data_offsets": [4, 8]]],
                             data: [0x00, 0x3E, 0x00, 0xC0, 0xC0, 0x3F, 0x00, 0xC0])
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("h").values == [1.5, -2])
        #expect(try file.tensor("b").values == [1.5, -2])
    }

    @Test func headerLongerThanTheFile() throws {
        let path = try write(header: [:] as [String: Any], data: [], claimedLength: 1 << 40)
        #expect(error(path).hasSuffix("header length 1099511627776 is larger than the file or the 100 MB limit"))
    }

    @Test func headerNotJSON() throws {
        var file = Data()
        withUnsafeBytes(of: UInt64(5).littleEndian) { file.append(contentsOf: $0) }
        file.append(contentsOf: Array("{oops".utf8))
        let path = folder.file("bad.safetensors")
        try file.write(to: URL(fileURLWithPath: path))
        #expect(error(path) == "\(path): the header is not a JSON object")
    }

    @Test func unknownDtype() throws {
        let path = try write(header: ["x": ["dtype": "I64", "shape": [1], "data_offsets": [0, 8]]], data: Array(repeating: 0, count: 8))
        #expect(error(path).hasSuffix("tensor 'x' has dtype I64; sergraph reads F32, F16 and BF16"))
    }

    @Test func offsetsOutsideTheFile() throws {
        let path = try write(header: ["x": ["dtype": "F32", "shape": [4], "data_offsets": [0, 16]]], data: Array(repeating: 0, count: 8))
        #expect(error(path).hasSuffix("tensor 'x' has offsets [0, 16] outside the 8-byte data section"))
    }

    /// A shape whose element or byte count overflows Int is refused before any product traps.
    @Test(arguments: [[1 << 32, 1 << 32], [1 << 62], [3, 1 << 61, 0]])
    func shapeOverflowingIntIsRefused(shape: [Int]) throws {
        let path = try write(header: ["huge": ["dtype": "F32", "shape": shape, "data_offsets": [0, 8]]], data: Array(repeating: 0, count: 8))
        #expect(error(path) == "\(path): tensor 'huge' has shape \(shape), more elements than memory can address")
    }

    @Test func shapeNotMatchingBytes() throws {
        let path = try write(header: ["x": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]], data: Array(repeating: 0, count: 8))
        #expect(error(path).hasSuffix("tensor 'x' of shape [3] and dtype F32 needs 12 bytes, its range holds 8"))
    }

    @Test func overlappingTensors() throws {
        let path = try write(header: ["x": ["dtype": "F32", "shape": [2], "data_offsets": [0, 8]],
                                      "y": ["dtype": "F32", "shape": [2], "data_offsets": [4, 12]]], data: Array(repeating: 0, count: 12))
        #expect(error(path).contains("overlap"))
    }

    @Test func missingFields() throws {
        let path = try write(header: ["x": ["dtype": "F32"]], data: [])
        #expect(error(path).hasSuffix("tensor 'x' needs dtype, shape and data_offsets"))
    }
}
