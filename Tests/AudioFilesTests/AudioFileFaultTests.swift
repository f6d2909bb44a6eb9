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

/// What a background thread found.
private final class Outcome: @unchecked Sendable {
    var error: String?
}
