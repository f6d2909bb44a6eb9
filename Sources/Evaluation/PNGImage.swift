import CZlib
import Foundation

/// An 8-bit RGB picture that writes itself as PNG (zlib for the image data and the CRCs).
public struct PNGImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB triples.
    public private(set) var pixels: [UInt8]

    /// A picture of `width` × `height` filled with `background`.
    public init(width: Int, height: Int, background: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, color: background)
    }

    /// Paints a rectangle, clipped to the picture.
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, color: (UInt8, UInt8, UInt8)) {
        let rows = max(0, y)..<max(max(0, y), min(self.height, y + height))
        let columns = max(0, x)..<max(max(0, x), min(self.width, x + width))
        for row in rows {
            for column in columns {
                let index = (row * self.width + column) * 3
                (pixels[index], pixels[index + 1], pixels[index + 2]) = color
            }
        }
    }

    /// The picture as a PNG file's bytes.
    public func pngData() throws -> Data {
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + width * 3))
        for row in 0..<height {
            raw.append(0)  // filter: none
            raw += pixels[(row * width * 3)..<((row + 1) * width * 3)]
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 9)
        guard status == Z_OK else { throw PNGError(reason: "zlib compress2 failed with status \(status)") }
        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8 bits per channel, RGB, deflate, no filter method, no interlace
        var file = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        file += chunk("IHDR", header)
        file += chunk("IDAT", Array(compressed[0..<Int(compressedLength)]))
        file += chunk("IEND", [])
        return file
    }

    private func chunk(_ type: String, _ body: [UInt8]) -> Data {
        let typed = Array(type.utf8) + body
        let checksum = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return Data(bigEndian(UInt32(body.count)) + typed + bigEndian(checksum))
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

/// A PNG that could not be made.
public struct PNGError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
