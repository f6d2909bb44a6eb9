import Foundation
import SERGraph
import StageKit
import Testing
import TestSupport

/// `watch: true`: a model folder is reloaded only once both files are there and have settled.
@Suite struct ModelFolderWatchTests {
    @Test func reloadsOnlyCompleteSettledWrites() throws {
        let folder = try TemporaryFolder("watch")
        let model = folder.file("model")
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        let reloads = Counter()
        let watch = ModelFolderWatch([("student", model, ["model.json", "model.safetensors"])], interval: 0.02, settle: 0.2) { stage in
            #expect(stage == "student")
            reloads.add()
        }
        defer { watch.stop() }
        // One file of two: never a reload, however long it stays.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: model + "/model.json"))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(reloads.value == 0)
        // The second file written in pieces: one reload, after the last piece has settled.
        let weights = model + "/model.safetensors"
        FileManager.default.createFile(atPath: weights, contents: Data(count: 100))
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.08)
            let handle = try #require(FileHandle(forWritingAtPath: weights))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(count: 100))
            try handle.close()
            #expect(reloads.value == 0, "reloaded while the file was still growing")
        }
        let deadline = Date().addingTimeInterval(3)
        while reloads.value == 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        Thread.sleep(forTimeInterval: 0.4)
        #expect(reloads.value == 1)
    }

    @Test func registrySharesByContentAndReloadsChangedContent() throws {
        let folder = try TemporaryFolder("registry")
        try Data("one".utf8).write(to: URL(fileURLWithPath: folder.file("weights")))
        let registry = ModelRegistry()
        let loads = Counter()
        func load() throws -> (model: Box, entry: ModelRegistry.Entry) {
            try registry.model(at: folder.path, variant: "test") { path in
                loads.add()
                return Box(text: try String(contentsOfFile: path + "/weights", encoding: .utf8))
            }
        }
        let first = try load(), again = try load()
        #expect(first.model === again.model && loads.value == 1)
        try Data("two".utf8).write(to: URL(fileURLWithPath: folder.file("weights")))
        let changed = try load()
        #expect(changed.model.text == "two" && changed.entry.contentHash != first.entry.contentHash && loads.value == 2)
        #expect(registry.entries.count == 2)
        registry.release(first.entry)
        #expect(registry.entries.map(\.contentHash) == [changed.entry.contentHash])
        #expect(throws: StageError.self) { try ModelRegistry.contentHash(of: folder.file("missing")) }
    }
}

private final class Box: @unchecked Sendable {
    let text: String
    init(text: String) { self.text = text }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
