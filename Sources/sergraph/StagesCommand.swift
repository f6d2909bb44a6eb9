import ArgumentParser
import SERGraph
import StageKit

struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the stage types with their ports and parameters, or show one in detail.")

    @Argument(help: "A stage type to show in detail.")
    var name: String?

    @Option(name: .customLong("plugin"), help: "A plugin library, or a folder of them, to load too (repeatable).")
    var plugins: [String] = []

    func run() throws {
        var registry = makeRegistry()
        // A plugin asked for by name must load: its problems are errors, not warnings.
        let problems = registry.loadPlugins(plugins)
        guard problems.isEmpty else {
            for problem in problems { printError("error: \(problem)") }
            throw ExitCode.failure
        }
        guard let name else {
            let nameWidth = registry.all.map(\.info.name.count).max() ?? 0
            // Column width for the usual signatures; a longer one pushes its summary along.
            let signatureWidth = min(28, registry.all.map { signature($0.info).count }.max() ?? 0)
            for factory in registry.all { print(summaryLine(factory, nameWidth: nameWidth, signatureWidth: signatureWidth)) }
            print("\n`sergraph stages NAME` shows a stage's ports and parameters.")
            return
        }
        guard let factory = registry.factory(named: name) else {
            let hint = registry.suggestion(for: name).map { " Did you mean '\($0)'?" } ?? ""
            printError("error: no stage type '\(name)'.\(hint) `sergraph stages` lists them.")
            throw ExitCode.failure
        }
        print(detail(factory))
    }

    /// "audio → features,event": the kinds a stage takes and gives.
    private func signature(_ info: StageInfo) -> String {
        let inputs = info.inputs.map { $0.kinds.map(\.rawValue).joined(separator: "|") }.joined(separator: ",")
        let outputs = info.outputs.map { $0.kinds.map(\.rawValue).joined(separator: "|") }.joined(separator: ",")
        return "\(inputs.isEmpty ? "·" : inputs) → \(outputs.isEmpty ? "·" : outputs)"
    }

    private func summaryLine(_ factory: StageFactory, nameWidth: Int, signatureWidth: Int) -> String {
        let info = factory.info
        let origin = factory.origin == "built-in" ? "" : "  [plugin: \(factory.origin)]"
        let kinds = signature(info)
        return column(info.name, nameWidth + 2) + column(kinds, max(signatureWidth, kinds.count) + 2) + info.summary + origin
    }

    /// A stage's ports and parameters, in columns as wide as the longest name, so that every
    /// name shows whole.
    private func detail(_ factory: StageFactory) -> String {
        let info = factory.info
        let portKinds = { (port: PortSpec) in port.kinds.map(\.rawValue).joined(separator: "|") }
        let nameWidth = max(10, ((info.inputs + info.outputs).map(\.name.count) + info.parameters.map(\.name.count)).max() ?? 0)
        let kindsWidth = max(12, (info.inputs + info.outputs).map { portKinds($0).count }.max() ?? 0)
        var lines = ["\(info.name) — \(info.summary)", "origin: \(factory.origin)", ""]
        func ports(_ title: String, _ ports: [PortSpec]) {
            lines.append("\(title):")
            if ports.isEmpty { lines.append("  (none)") }
            for port in ports {
                lines.append("  " + column(port.name, nameWidth + 1) + column(portKinds(port), kindsWidth + 1) + port.doc)
            }
        }
        ports("inputs", info.inputs)
        ports("outputs", info.outputs)
        lines.append("parameters:")
        if info.parameters.isEmpty { lines.append("  (none)") }
        for spec in info.parameters {
            var facts = [spec.type.description]
            facts.append(spec.defaultValue.map { "default \($0.description.isEmpty ? "\"\"" : $0.description)" } ?? "required")
            if let range = spec.range { facts.append("\(range.lowerBound.formatted)...\(range.upperBound.formatted)") }
            if let unit = spec.unit { facts.append(unit) }
            if spec.live { facts.append("live: `sergraph ctl set`") }
            lines.append("  " + column(spec.name, nameWidth + 1) + spec.doc)
            lines.append("  " + column("", nameWidth + 1) + "(\(facts.joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n")
    }

    /// `text` padded with spaces to `width`; longer text is kept whole.
    private func column(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
