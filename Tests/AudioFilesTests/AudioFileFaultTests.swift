import AudioFiles
import Foundation
import Testing
import TestSupport

/// Files that are not what they claim: each is refused with a reason naming it, never a hang.
@Suite struct AudioFileFaultTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder("audiofile-faults") }

    /// Opening a FIFO for reading blocks until a writer comes; the reader refuses it instead.
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let fifo = folder.file("x.wav")
        try #require(mkfifo(fifo, 0o644) == 0)
        let opened = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread {
            do { _ = try AudioFileReader(path: fifo) } catch { outcome.error = "\(error)" }
            opened.signal()
        }.start()
        if opened.wait(timeout: .now() + 5) == .timedOut {
            close(open(fifo, O_WRONLY | O_NONBLOCK))  // the blocked open returns and reads an empty stream
            opened.wait()
            Issue.record("opening a FIFO blocked")
        }
        #expect(outcome.error == "\(fifo): not a regular file (a folder, FIFO, socket or device); give an audio file")
    }

    @Test func folderIsRefused() throws {
        let path = folder.file("sub.wav")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let error = #expect(throws: AudioFileError.self) { try AudioFileReader(path: path) }
        #expect(error?.reason.hasPrefix("not a regular file") == true)
    }
}

extension AudioFileFaultTests {
    /// 2 s of 16-bit mono at 16 kHz (64,000 bytes of samples), less its last `cut` bytes.
    func truncatedFile(_ name: String, cut: Int) throws -> String {
        let path = folder.file(name)
        let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1, encoding: .pcm16)
        try writer.write(sine(frequency: 440, rate: 16000, seconds: 2))
        try writer.close()
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).intValue
        try #require(truncate(path, off_t(size - cut)) == 0)
        return path
    }

    /// A WAV or AIFF header that declares more samples than the file holds is refused when the
    /// file is opened (libsndfile alone would read what is there as if it were all).
    @Test(arguments: ["wav", "aiff"])
    func truncatedHeaderFileIsRefused(container: String) throws {
        let path = try truncatedFile("cut.\(container)", cut: 40000)
        let error = #expect(throws: AudioFileError.self) { try AudioFileReader(path: path) }
        #expect(error?.reason == "truncated: its header declares 2.000 s (32000 frames) but the file holds 0.750 s (12000 frames), "
                + "1.250 s (20000 frames) short; re-export it, or rewrite its header to what it holds (`sox --ignore-length IN OUT`)")
        let empty = try truncatedFile("empty.\(container)", cut: 64000)
        let none = #expect(throws: AudioFileError.self) { try AudioFileReader(path: empty) }
        #expect(none?.reason.hasPrefix("truncated: its header declares 2.000 s (32000 frames) but the file holds 0.000 s (0 frames)") == true)
    }

    /// Formats whose length comes from elsewhere fail when the stream ends early: an MP3 cut in
    /// half ends before the frames it declared; an Ogg cut in half declares no length and decodes nothing.
    @Test func fileEndingEarlyIsRefused() throws {
        for (container, expected) in [("mp3", "truncated: its header declares"), ("ogg", "no audio could be decoded")] {
            let whole = folder.file("whole.\(container)"), half = folder.file("half.\(container)")
            try #require(runCommand("sox", ["-n", "-r", "16000", whole, "synth", "5", "sine", "440"]).status == 0)
            let data = try Data(contentsOf: URL(fileURLWithPath: whole))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: half))
            #expect(try AudioFileReader(path: whole).readAll().count > 0)
            let error = #expect(throws: AudioFileError.self) { try AudioFileReader(path: half).readAll() }
            #expect(error?.reason.hasPrefix(expected) == true, "\(container): \(String(describing: error))")
        }
    }
}

/// What a background thread found.
private final class Outcome: @unchecked Sendable {
    var error: String?
}
