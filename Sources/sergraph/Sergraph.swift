import ArgumentParser

@main
struct Sergraph: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sergraph",
        abstract: "Speech emotion recognition as a graph of pluggable stages, live over JACK or in batch over files.",
        version: "0.1.0",
        subcommands: [Run.self, Corpus.self, Train.self, Eval.self, GraphCommand.self, Experiment.self, Features.self, Embed.self, Bench.self, Plugin.self, Process.self, Validate.self, Stages.self, Ctl.self])
}
