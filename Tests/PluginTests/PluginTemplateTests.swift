import Foundation
import Testing
import TestSupport

/// `sergraph plugin new`: the package it makes builds, passes its test, and loads.
@Suite struct PluginTemplateTests {
    @Test func newPluginBuildsTestsAndLoads() throws {
        let folder = try TemporaryFolder("plugin-new")
        let created = try runCommand(sergraphExecutable, ["plugin", "new", "peak-hold", "-o", folder.path, "--sergraph", packageRoot])
        #expect(created.status == 0, "\(created.stderr)")
        let package = folder.file("peak-hold")
        let build = try runCommand("swift", ["build"], in: package)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let test = try runCommand("swift", ["test"], in: package)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("scalesAudio") || test.stderr.contains("scalesAudio"))
        let library = package + "/.build/debug/libPeakHold.so"
        let listed = try runCommand(sergraphExecutable, ["stages", "peak-hold", "--plugin", library])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("origin: \(library)"))
        #expect(listed.stdout.contains("factor"))
    }

    @Test func refusesAName() throws {
        let folder = try TemporaryFolder("plugin-new-bad")
        let result = try runCommand(sergraphExecutable, ["plugin", "new", "Peak Hold", "-o", folder.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("'Peak Hold' is not a stage name"))
    }
}
