import ArrayFiles
import Testing
import TestSupport

/// NpyWriter gathers rows and writes them in large pieces: whatever the sizes of the appends
/// (small ones, one larger than a piece, one that crosses a piece), the file holds every row
/// in order and the shape in its header.
@Suite struct NpyWriterTests {
    @Test func rowsOfEverySizeOfAppendReadBackInOrder() throws {
        let folder = try TemporaryFolder("npy-writer")
        let columns = 3
        let sizes = [1, 2, 349_525, 7, 1_048_576, 400_000, 1_048_574, 5]  // rows per append
        let writer = try NpyWriter(path: folder.file("a.npy"), columns: columns)
        var next: Float = 0
        for rows in sizes {
            let values = (0..<(rows * columns)).map { index in next + Float(index) }
            next += Float(rows * columns)
            try writer.append(values)
        }
        try writer.close()
        let array = try NpyArray(path: folder.file("a.npy"))
        let total = sizes.reduce(0, +)
        #expect(array.rows == total && array.columns == columns)
        let firstWrong = array.values.indices.first { array.values[$0] != Float($0) }
        #expect(firstWrong == nil, "value \(firstWrong ?? -1) is \(firstWrong.map { array.values[$0] } ?? 0)")
    }
}
