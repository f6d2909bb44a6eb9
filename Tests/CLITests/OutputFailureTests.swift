import AudioFiles
import Foundation
import Testing
import TestSupport

/// Outputs that cannot be written: each error names the output (not its temporary file) and
/// says what to do, and nothing partial is left behind.
@Suite(.serialized) struct OutputFailureTests {
    let folder: TemporaryFolder
    let input: String

    init() throws {
        folder = try TemporaryFolder("output-failures")
        input = folder.file("long.wav")
        let writer = try AudioFileWriter(path: input, sampleRate: 16000, channels: 1)
        try writer.write(sine(frequency: 440, rate: 16000, seconds: 30))
        try writer.close()
    }

    /// An output folder that is a file, or lies below one, is refused before any input runs.
    @Test func outputFolderThatIsAFileIsRefused() throws {
        let file = folder.file("taken")
        try Data("a file".utf8).write(to: URL(fileURLWithPath: file))
        for output in [file, file + "/sub"] {
            let result = try runCommand(sergraphExecutable, ["features", "logmel", input, "-o", output])
            #expect(result.status == 2)
            #expect(result.stderr == "error: -o \(file): is a file, not a folder; move it, or write elsewhere (-o)\n", "\(result.stderr)")
        }
    }

    /// A full disk (a 64 KiB tmpfs) and a read-only one, under npy-sink and audio-file-sink.
    @Test(.enabled(if: SmallDisk.canMount, "needs to mount a tmpfs (root with CAP_SYS_ADMIN)"))
    func fullAndReadOnlyDisksAreNamed() throws {
        let disk = try SmallDisk(at: folder.file("disk"))
        defer { disk.unmount() }
        let cases = [(["features", "logmel", input], "npy-out", "long.logmel.npy"),
                     (["process", "file-source ! audio-file-sink path={stem}.wav", input], "audio-file-sink", "long.wav")]
        for (arguments, stage, output) in cases {
            let result = try runCommand(sergraphExecutable, arguments + ["-o", disk.path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: \(input): stage '\(stage)': \(disk.path)/\(output): cannot write: No space left on device; "
                                           + "free some space on that disk, or write elsewhere (-o)"), "\(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == [])
        }
        try #require(try disk.remountReadOnly())
        for (arguments, stage, output) in cases {
            let result = try runCommand(sergraphExecutable, arguments + ["-o", disk.path])
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: \(input): stage '\(stage)': \(disk.path)/\(output): cannot create: Read-only file system; "
                                           + "write elsewhere (-o)"), "\(result.stderr)")
        }
    }
}

/// A 64 KiB tmpfs mounted for one test.
private struct SmallDisk {
    let path: String

    /// Whether this process may mount one (root with CAP_SYS_ADMIN), tried once.
    static let canMount: Bool = {
        guard let probe = try? TemporaryFolder("tmpfs-probe"), let disk = try? SmallDisk(at: probe.file("disk")) else { return false }
        disk.unmount()
        return true
    }()

    init(at path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runCommand("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", path])
        guard result.status == 0 else { throw SmallDiskError(description: "mount: \(result.stderr)") }
        self.path = path
    }

    func remountReadOnly() throws -> Bool {
        try runCommand("mount", ["-o", "remount,ro", path]).status == 0
    }

    func unmount() {
        _ = try? runCommand("umount", [path])
    }
}

private struct SmallDiskError: Error, CustomStringConvertible {
    var description: String
}
