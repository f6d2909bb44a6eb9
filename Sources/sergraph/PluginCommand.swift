import ArgumentParser
import Foundation
import StageKit

struct Plugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with stage plugins.",
        subcommands: [PluginNew.self])
}

struct PluginNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a stage plugin package: one stage, its test, ready to build.",
        discussion: """
            NAME is the stage's name in graphs (lowercase words joined by '-', e.g. peak-hold); the Swift \
            module and library are named after it in UpperCamelCase (PeakHold, libPeakHold.so).
            """)

    @Argument(help: "The stage's name, e.g. peak-hold.")
    var name: String

    @Option(name: .shortAndLong, help: "Folder to create the package in.")
    var output = "."

    @Option(help: "The sergraph checkout the plugin builds against (default: the one this sergraph was built from).")
    var sergraph = Plugin.sourceCheckout

    func validate() throws {
        guard name.range(of: "^[a-z][a-z0-9]*(-[a-z0-9]+)*$", options: .regularExpression) != nil else {
            throw ValidationError("'\(name)' is not a stage name: use lowercase words joined by '-', e.g. peak-hold")
        }
    }

    func run() throws {
        let module = name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let root = (output as NSString).appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: root) else {
            throw ValidationError("\(root) exists already")
        }
        let sdkPackage = URL(fileURLWithPath: sergraph).standardizedFileURL
        let files = PluginTemplate(stage: name, module: module, sergraphPath: sdkPackage.path,
                                   sergraphIdentity: sdkPackage.lastPathComponent.lowercased()).files
        for (path, text) in files {
            let file = (root as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(atPath: parentFolder(of: file), withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        print("""
            created \(root)
              cd \(root)
              swift build && swift test
              sergraph stages --plugin .build/debug/lib\(module).so
            then name it in a graph file: plugins: [\((root as NSString).appendingPathComponent(".build/debug/lib\(module).so"))]
            """)
    }
}

extension Plugin {
    /// The sergraph checkout this executable was built from.
    static let sourceCheckout: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}
