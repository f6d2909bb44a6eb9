import Foundation

/// A problem with a .npy file, naming it.
public struct NpyError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// The system's error number when the system refused (a full disk, a read-only folder).
    public var code: Int32? = nil
    public var description: String { "\(path): \(reason)" + (code.map { ": " + String(cString: strerror($0)) } ?? "") }
}

/// Writes a two-dimensional float32 NumPy array (.npy, format 1.0) row by row; the row count
/// goes into the header when the file is closed (a writer released unclosed leaves it at 0).
/// Rows are gathered and written a megabyte at a time: the kernel takes large writes for a
/// fraction of the cost of many small ones.
public final class NpyWriter {
    public let path: String
    public let columns: Int
    private var descriptor: Int32
    private var rows = 0
    /// Rows appended and not yet written.
    private var pending: [Float] = []
    /// Header bytes, fixed so that rewriting the shape never moves the data.
    private static let headerLength = 128
    /// Values gathered before they are written (4 MB).
    private static let writeSize = 1 << 20

    /// Creates (or replaces) `path` for rows of `columns` values.
    /// - Throws: `NpyError` with the system's error number when the file cannot be made or written.
    public init(path: String, columns: Int) throws {
        self.path = path
        self.columns = columns
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw NpyError(path: path, reason: "cannot create", code: errno) }
        try write(Self.header(rows: 0, columns: columns), at: nil)
    }

    deinit {
        if descriptor >= 0 { Foundation.close(descriptor) }
    }

    /// Appends rows (row-major, a multiple of `columns` values).
    /// - Throws: `NpyError` when the rows gathered so far cannot be written.
    public func append(_ values: [Float]) throws {
        precondition(values.count % max(columns, 1) == 0)
        if pending.count + values.count > Self.writeSize { try writePending() }
        if pending.isEmpty && values.count >= Self.writeSize {
            try values.withUnsafeBytes { try write($0, at: nil) }
        } else {
            if pending.capacity == 0 { pending.reserveCapacity(Self.writeSize) }
            pending.append(contentsOf: values)
        }
        rows += columns > 0 ? values.count / columns : 0
    }

    /// Writes the rows still gathered and the final shape, and closes the file.
    public func close() throws {
        try writePending()
        try write(Self.header(rows: rows, columns: columns), at: 0)
        let closing = descriptor
        descriptor = -1
        guard Foundation.close(closing) == 0 else { throw NpyError(path: path, reason: "cannot write", code: errno) }
    }

    private func writePending() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try write($0, at: nil) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes all of `data` at the end, or at `offset`.
    private func write(_ data: Data, at offset: off_t?) throws {
        try data.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Writes all of `bytes` at the end, or at `offset`.
    private func write(_ bytes: UnsafeRawBufferPointer, at offset: off_t?) throws {
        guard descriptor >= 0 else { throw NpyError(path: path, reason: "written after it was closed") }
        var done = 0
        while done < bytes.count {
            let remaining = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let written = offset.map { pwrite(descriptor, remaining.baseAddress, remaining.count, $0 + off_t(done)) }
                ?? Foundation.write(descriptor, remaining.baseAddress, remaining.count)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw NpyError(path: path, reason: "cannot write", code: written < 0 ? errno : ENOSPC) }
            done += written
        }
    }

    private static func header(rows: Int, columns: Int) -> Data {
        var text = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        text += String(repeating: " ", count: headerLength - 10 - text.utf8.count - 1) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.append(contentsOf: [UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)])
        data.append(contentsOf: Array(text.utf8))
        return data
    }
}

/// A two-dimensional float32 array read from a .npy file (little-endian, C order; a
/// one-dimensional array reads as one column, and the dimensions after the first of a
/// higher-dimensional one flatten into the columns).
public struct NpyArray: Sendable {
    public var rows: Int
    public var columns: Int
    /// Row-major values.
    public var values: [Float]

    /// Row `index`.
    public subscript(row index: Int) -> ArraySlice<Float> {
        values[(index * columns)..<((index + 1) * columns)]
    }

    /// Reads `path`.
    /// - Throws: `NpyError` for a file that is not a little-endian float32 C-order array.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw NpyError(path: path, reason: "cannot read the file") }
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw NpyError(path: path, reason: "not a .npy file")
        }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False") else {
            throw NpyError(path: path, reason: "expected little-endian float32 in C order, found \(header)")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NpyError(path: path, reason: "no shape in the header")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        rows = shape.first ?? 1
        columns = shape.dropFirst().reduce(1, *)
        let payload = bytes[(headerStart + headerLength)...]
        guard payload.count == rows * columns * 4 else {
            throw NpyError(path: path, reason: "holds \(payload.count) bytes of data for a \(rows)×\(columns) array")
        }
        values = payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
