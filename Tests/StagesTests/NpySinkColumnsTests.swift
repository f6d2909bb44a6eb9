import ArrayFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// npy-sink writes a range of each row's columns when asked (`sergraph embed` splits the
/// encoder's concatenated layers this way), and refuses a range the rows do not have.
@Suite struct NpySinkColumnsTests {
    let format = StreamFormat.features("x", dimension: 4, hop: 160, sampleRate: 16000)

    @Test func writesTheColumnsAsked() throws {
        let folder = try TemporaryFolder("npy-columns")
        let outputs = OutputFiles()
        let sink = try StageHarness(NpySink.self, parameters: ["path": .text(folder.file("x.npy")), "first-column": .integer(1),
                                                               "columns": .integer(2)], inputs: [format], outputs: outputs)
        try sink.push(Block(time: 0, width: 4, values: [1, 2, 3, 4, 5, 6, 7, 8]))
        try sink.push(Block(time: 320, width: 4, values: [9, 10, 11, 12]))
        try sink.finish()
        try outputs.commit()
        let array = try NpyArray(path: folder.file("x.npy"))
        #expect(array.rows == 3 && array.columns == 2)
        #expect(array.values == [2, 3, 6, 7, 10, 11])
    }

    @Test(arguments: [(4, 0), (3, 2), (0, 5)])
    func refusesColumnsOutsideTheRow(first: Int, count: Int) throws {
        let folder = try TemporaryFolder("npy-columns-bad")
        #expect {
            try StageHarness(NpySink.self, parameters: ["path": .text(folder.file("x.npy")), "first-column": .integer(first),
                                                        "columns": .integer(count)], inputs: [format])
        } throws: { error in
            "\(error)".contains("are not within the 4 columns it receives")
        }
    }
}
