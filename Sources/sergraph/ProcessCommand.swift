import ArgumentParser
import Foundation
import SERGraph

struct Process: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a graph over audio files and folders, in parallel, resuming where a previous run stopped.",
        usage: """
            sergraph process <graph> <inputs> ... -o <output> [--jobs <jobs>] [--force] [--control <path>] [--shard K/N|auto [--shard-count N]]
            sergraph process --summarize <output>
            """,
        discussion: """
            Each input is fed to the graph's file source; outputs go below --output, named after the input's \
            path below the folder it was found in ({stem} in a sink's path). Outputs are written under a \
            temporary name and renamed when complete, so a rerun skips inputs whose outputs all exist. \
            A file that fails is reported and the others go on; the exit status is 1 if any failed.

            With --shard K/N only shard K (0 ≤ K < N) of the inputs is processed: the input whose outputs are \
            named STEM belongs to shard fmix64(FNV-1a-64(STEM)) mod N (fmix64: MurmurHash3's finaliser), which does not depend on the order \
            the folders are listed in or where they are mounted, so N array tasks with the same arguments \
            split the inputs between them, each input to exactly one, into the same output folder. \
            --shard auto takes K and N from a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT \
            or _MIN/_MAX/_STEP) or from a Kubernetes indexed job (JOB_COMPLETION_INDEX, with --shard-count); \
            with --shard-count N a Slurm task's ID is its shard, so one task resubmitted alone \
            (sbatch --array=2 ...) still does shard 2 of N. \
            Each shard writes its summary to OUTPUT/.shards/shard-K-of-N.json; --summarize OUTPUT adds \
            them up, lists the failures and the shards missing or unfinished, and exits 1 if there are any.
            """)

    @Argument(help: "Graph file (YAML) or one-line chain.")
    var graph: String?

    @Argument(help: "Audio files, and folders to search recursively.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "Folder for the outputs.")
    var output: String?

    @Option(name: .shortAndLong, help: "Files processed at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Process inputs even when their outputs exist.")
    var force = false

    @Option(help: "Listen on this control socket: `sergraph ctl --control PATH swap|set` changes models and live parameters from the next input to start.")
    var control: String?

    @Option(help: "Process only shard K of N of the inputs (K/N, K from 0), or auto: from a Slurm array's or Kubernetes indexed job's environment.")
    var shard: String?

    @Option(help: "The number of shards for --shard auto: a Kubernetes indexed job's completions, or the size of the Slurm array a task resubmitted alone belongs to.")
    var shardCount: Int?

    @Option(help: "Add up the shard summaries of this output folder and list the failures, instead of processing.")
    var summarize: String?

    func validate() throws {
        if summarize != nil {
            guard graph == nil, output == nil, shard == nil else {
                throw ValidationError("--summarize takes only the output folder: sergraph process --summarize OUTPUT")
            }
            return
        }
        guard graph != nil, !inputs.isEmpty else { throw ValidationError("give a graph and inputs (or --summarize OUTPUT)") }
        guard output != nil else { throw ValidationError("missing -o/--output: the folder for the outputs") }
        if shardCount != nil && shard != "auto" { throw ValidationError("--shard-count goes with --shard auto") }
    }

    func run() throws {
        if let summarize { return try summarizeShards(in: summarize) }
        guard let graph, let output else { return }
        let selected: BatchShard?
        do {
            selected = try shard.map { $0 == "auto"
                ? try BatchShard(environment: ProcessInfo.processInfo.environment, count: shardCount)
                : try BatchShard(parsing: $0) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        try runBatch({ try loadGraph(graph, registry: makeRegistry()) }, inputs: inputs, output: output, jobs: jobs, force: force,
                     control: control, shard: selected, graphName: graph)
    }
}
