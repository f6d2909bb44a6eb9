import Foundation

/// Why a safetensors file cannot be read, naming the file (and the tensor).
public struct SafeTensorsError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// A safetensors file, memory-mapped and checked: an 8-byte little-endian header length, a
/// JSON header naming each tensor's dtype, shape and byte range, then the data.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the data section.
        public var range: Range<Int>
    }

    public let path: String
    /// The tensors, by name.
    public let entries: [String: Entry]
    /// The header's `__metadata__`, if any.
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int

    /// Bytes per element of the dtypes that load.
    static let elementSizes = ["F32": 4, "F16": 2, "BF16": 2]
    /// The largest header accepted (the format's own bound).
    static let maximumHeader = 100_000_000

    /// Maps `path` and checks its header.
    /// - Throws: `SafeTensorsError` for a header that is too long, not JSON, a tensor with an
    ///   unknown dtype, a shape that does not match its bytes, or ranges outside the file or overlapping.
    public init(path: String) throws {
        self.path = path
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, reason: reason) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw fail("cannot read the file: \((error as NSError).localizedDescription)")
        }
        guard data.count >= 8 else { throw fail("too short for a safetensors header (\(data.count) bytes)") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(Self.maximumHeader), headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) is larger than the file or the 100 MB limit")
        }
        let header = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        dataStart = 8 + Int(headerLength)
        let dataSize = data.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' needs dtype, shape and data_offsets")
            }
            guard let size = Self.elementSizes[dtype] else {
                throw fail("tensor '\(name)' has dtype \(dtype); sergraph reads F32, F16 and BF16")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' has offsets \(offsets) outside the \(dataSize)-byte data section")
            }
            guard let bytes = Self.byteCount(shape: shape, elementSize: size) else {
                throw fail("tensor '\(name)' has shape \(shape), more elements than memory can address")
            }
            guard bytes == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)' of shape \(shape) and dtype \(dtype) needs \(bytes) bytes, its range holds \(offsets[1] - offsets[0])")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        let sorted = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (first, second) in zip(sorted, sorted.dropFirst()) where first.value.range.overlaps(second.value.range) {
            throw fail("tensors '\(first.key)' and '\(second.key)' overlap")
        }
        self.entries = entries
        self.metadata = metadata
        self.data = data
    }

    /// The bytes of a tensor of `shape`, or nil if the count overflows (checked before any
    /// product can trap).
    static func byteCount(shape: [Int], elementSize: Int) -> Int? {
        var product = elementSize
        for size in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The tensor `name` as Float32.
    /// - Throws: `SafeTensorsError` if there is no such tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw SafeTensorsError(path: path, reason: "no tensor '\(name)'") }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.range.lowerBound
        var values = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let bytes = raw.baseAddress! + start
            values.withUnsafeMutableBufferPointer { out in
                switch entry.dtype {
                case "F32":
                    memcpy(out.baseAddress!, bytes, count * 4)
                case "BF16":
                    for index in 0..<count {
                        let bits = UInt32(bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self).littleEndian) << 16
                        out[index] = Float(bitPattern: bits)
                    }
                default:  // F16
                    for index in 0..<count {
                        out[index] = Float(Float16(bitPattern: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self).littleEndian))
                    }
                }
            }
        }
        return Tensor(shape: entry.shape, values: values)
    }
}

/// Writes tensors as a safetensors file (F32, names sorted, data aligned to 8 bytes).
public enum SafeTensorsWriter {
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        var header: [String: Any] = metadata.isEmpty ? [:] : ["__metadata__": metadata]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let size = tensors[name]!.count * 4
            header[name] = ["dtype": "F32", "shape": tensors[name]!.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for name in names { tensors[name]!.values.withUnsafeBufferPointer { file.append(Data(buffer: $0)) } }
        try file.write(to: URL(fileURLWithPath: path))
    }
}
