import Foundation

/// Why an audio file could not be read or written; the message names the file.
public struct AudioFileError: Error, Sendable, CustomStringConvertible {
    /// The file concerned.
    public var path: String
    /// What went wrong, in libsndfile's words where it gave some.
    public var reason: String
    /// The system's error number when the system refused (a full disk, a read-only folder).
    public var code: Int32?

    public init(path: String, reason: String, code: Int32? = nil) {
        self.path = path
        self.reason = reason
        self.code = code
    }

    public var description: String { "\(path): \(reason)" + (code.map { ": " + String(cString: strerror($0)) } ?? "") }
}
