import Foundation
import StageKit
import Testing

@Suite struct PathNameTests {
    /// The same answers as Foundation's `deletingLastPathComponent` where that one works.
    @Test(arguments: ["a/b", "/a", "/", "", "ab", "a/b/", "/tmp/x/y.wav", "a//b", "./ab", "../ab/cd"])
    func parentFolderAgreesWithFoundation(_ path: String) {
        #expect(parentFolder(of: path) == (path as NSString).deletingLastPathComponent)
    }

    /// Where Foundation's traps: one-character paths.
    @Test func oneCharacterPaths() {
        #expect(parentFolder(of: "f") == "")
        #expect(parentFolder(of: "f/") == "")
        #expect(parentFolder(of: "/f") == "/")
        #expect(parentFolder(of: "a/f") == "a")
    }
}
