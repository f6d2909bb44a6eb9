import Foundation
import StageKit
import Testing

/// Outputs are written under a temporary name and renamed when the run completes; nothing
/// they do ever removes a folder.
@Suite final class OutputFilesTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-outputs-\(UUID().uuidString.prefix(8))").path

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// A folder (with files in it) where an output would go is refused when the output is
    /// reserved, and the folder and its files stay.
    @Test func folderWhereAnOutputGoesIsRefusedAndKept() throws {
        try FileManager.default.createDirectory(atPath: path("a.jsonl"), withIntermediateDirectories: true)
        try write("keep me", to: path("a.jsonl/precious.txt"))
        let outputs = OutputFiles()
        let error = #expect(throws: StageError.self) { try outputs.temporaryPath(for: path("a.jsonl")) }
        #expect(error?.description.contains("is a folder") == true)
        outputs.discard()
        #expect(try String(contentsOfFile: path("a.jsonl/precious.txt"), encoding: .utf8) == "keep me")
    }

    /// A folder that appears at the output's name during the run is not replaced at commit:
    /// the commit fails naming it, the folder and its files stay, and no temporary is left.
    @Test func commitNeverReplacesAFolder() throws {
        let outputs = OutputFiles()
        let first = try outputs.temporaryPath(for: path("b.jsonl"))
        let second = try outputs.temporaryPath(for: path("c.jsonl"))
        try write("b", to: first)
        try write("c", to: second)
        try FileManager.default.createDirectory(atPath: path("b.jsonl"), withIntermediateDirectories: true)
        try write("keep me", to: path("b.jsonl/precious.txt"))
        let error = #expect(throws: StageError.self) { try outputs.commit() }
        #expect(error?.description.hasPrefix(path("b.jsonl") + ": is a folder") == true)
        #expect(try String(contentsOfFile: path("b.jsonl/precious.txt"), encoding: .utf8) == "keep me")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(left == ["b.jsonl"])  // neither temporary remains, and c was not committed
    }

    /// Committing replaces a file of the same name.
    @Test func commitReplacesAFile() throws {
        try write("old", to: path("d.txt"))
        let outputs = OutputFiles()
        try write("new", to: try outputs.temporaryPath(for: path("d.txt")))
        try outputs.commit()
        #expect(try String(contentsOfFile: path("d.txt"), encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["d.txt"])
    }

    /// Discarding removes temporary files only: a folder at a temporary's name stays.
    @Test func discardNeverRemovesAFolder() throws {
        let outputs = OutputFiles()
        let temporary = try outputs.temporaryPath(for: path("e.npy"))
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        try write("keep me", to: temporary + "/precious.txt")
        outputs.discard()
        #expect(try String(contentsOfFile: temporary + "/precious.txt", encoding: .utf8) == "keep me")
    }

    /// One file reserved twice in a run (two stages on one path) is refused at the second.
    @Test func oneFileCannotBeReservedTwice() throws {
        let outputs = OutputFiles()
        _ = try outputs.temporaryPath(for: path("f.csv"))
        let error = #expect(throws: StageError.self) { try outputs.temporaryPath(for: path("f.csv")) }
        #expect(error?.description.contains("already an output of this run") == true)
        outputs.discard()
    }

    /// "-" means standard output to the text sinks; a sink that writes a file refuses it rather
    /// than create a file named "-" in the working folder.
    @Test func standardOutputIsNotAFile() {
        let outputs = OutputFiles()
        let error = #expect(throws: StageError.self) { try outputs.temporaryPath(for: "-") }
        #expect(error?.description.contains("not standard output") == true)
        #expect(!FileManager.default.fileExists(atPath: "-.partial"))
    }
}
