import ArgumentParser
import Foundation
import SERGraph

struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Control a running graph (`sergraph run` or `sergraph process`): status, model swaps, live parameters.",
        discussion: """
            Talks to the run's control socket: one JSON object per line each way (see README). The answer \
            is printed as JSON on standard output; a refusal goes to standard error with exit status 1.
            """,
        subcommands: [Status.self, Swap.self, Set.self])

    struct Target: ParsableArguments {
        @Option(help: "The run's control socket (as its --control, or as it printed at start).")
        var control: String?

        @Option(help: "The run's JACK client name, which names its default socket.")
        var clientName = "sergraph"

        @Option(help: "The run's JACK server (default: the default one), which names its default socket too.")
        var server: String?

        /// Sends `request` and prints the answer; a refusal exits 1.
        func send(_ request: [String: Any]) throws {
            let answer: [String: Any]
            do {
                answer = try ControlSocket.send(request, to: control ?? ControlSocket.defaultPath(server: server, client: clientName))
            } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
            guard answer["ok"] as? Bool == true else {
                printError("error: \(answer["error"] as? String ?? "refused")")
                throw ExitCode.failure
            }
            let data = try JSONSerialization.data(withJSONObject: answer, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stages, their models (path, content hash, loaded at), blocks and windows processed, queues, drops, xruns.")
        @OptionGroup var target: Target
        func run() throws { try target.send(["command": "status"]) }
    }

    struct Swap: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load MODEL_DIR and, if it fits, make it STAGE's model from the next window; the old one keeps running otherwise.")
        @Argument(help: "The stage's name in the graph.") var stage: String
        @Argument(help: "The model folder.") var modelDir: String
        @OptionGroup var target: Target
        func run() throws {
            let folder = URL(fileURLWithPath: modelDir).standardizedFileURL.path
            try target.send(["command": "swap", "stage": stage, "model": folder])
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a parameter the stage declares live (`sergraph stages NAME` marks them), checked as in a graph file.")
        @Argument(help: "The stage's name in the graph.") var stage: String
        @Argument(help: "The parameter.") var parameter: String
        @Argument(help: "The value, as a graph file writes it.") var value: String
        @OptionGroup var target: Target
        func run() throws { try target.send(["command": "set", "stage": stage, "parameter": parameter, "value": value]) }
    }
}
