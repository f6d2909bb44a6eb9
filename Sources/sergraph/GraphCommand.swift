import ArgumentParser
import ArrayFiles
import Corpora
import Foundation
import NeighbourGraph
import Neural
import SERGraph
import StageKit

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Neighbour graphs over a corpus, for graph-regularised (Neural Structured Learning) training.",
        subcommands: [GraphBuild.self])
}

struct GraphBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Join each clip of a manifest to its most similar clips in a teacher's embedding space; write the edges as TSV.",
        discussion: """
            Each clip runs through file-source (mixed to mono) → resample (16 kHz) → the teacher, natively and \
            in parallel, with progress: wav2vec2-classifier's pooled projector output for a sequence-classification \
            checkpoint (--embedding projector), or wav2vec2-encoder's last hidden state averaged over the clip for \
            a plain encoder (--embedding hidden). Each clip's embedding is cached as an .npy file in --cache, so an \
            interrupted run resumes and a rerun with other graph options reads the cache. --embeddings FILE.npy \
            takes the embeddings (one row per manifest line, in its order) instead of a teacher.

            The embeddings are L2-normalised; cosine similarities come from blocked BLAS matrix products \
            (all pairs, or with --lsh-splits the pairs that share a bucket of random hyperplanes in any of \
            --lsh-rounds hashings). Each clip keeps its --max-neighbors most similar clips with similarity at least \
            --threshold (ties go to the earlier clip). OUTPUT is Neural Structured Learning's graph TSV: one \
            line per edge, `source id<TAB>target id<TAB>weight`, where the ids are the clips' paths as the \
            manifest writes them and the weight is the cosine similarity. Prints nodes, edges, mean degree, \
            isolated clips and how often neighbours share a label.
            """)

    @Option(help: "The teacher: a Hugging Face wav2vec2 / HuBERT folder (config.json, model.safetensors).")
    var teacher: String?

    @Option(help: "Precomputed embeddings instead of a teacher: an .npy of one row per manifest line (or per node without --data).")
    var embeddings: String?

    @Option(help: "The target manifest (CSV: path,label,speaker,split); its paths are the graph's ids.")
    var data: String?

    @Option(name: .shortAndLong, help: "The graph TSV to write.")
    var output: String

    @Option(help: "The least cosine similarity of an edge.")
    var threshold: Float = 0.99

    @Option(name: .customLong("max-neighbors"), help: "Edges kept per clip (its most similar clips); students use k ≤ this.")
    var maxNeighbors = 9

    @Flag(help: "Add the reverse of every edge (a clip may then have more than --max-neighbors).")
    var undirected = false

    @Option(name: .customLong("lsh-splits"), help: "Random hyperplanes per hashing (2^splits buckets); compares only clips that share a bucket.")
    var lshSplits: Int?

    @Option(name: .customLong("lsh-rounds"), help: "Hashings with fresh hyperplanes (with --lsh-splits); more rounds find more true neighbours.")
    var lshRounds = 1

    @Option(help: "Seed of the hyperplanes.")
    var seed: UInt64 = 1

    @Option(help: "projector: the classification head's pooled projector output (the teacher embedding); hidden: the encoder's mean last hidden state.")
    var embedding: TeacherEmbedding = .projector

    @Option(help: "Folder for the per-clip embeddings (default: OUTPUT with .embeddings instead of its extension).")
    var cache: String?

    @Option(name: .shortAndLong, help: "Clips processed at once (each encoder pass on one core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Recompute cached embeddings.")
    var force = false

    enum TeacherEmbedding: String, ExpressibleByArgument, CaseIterable {
        case projector, hidden
    }

    func validate() throws {
        guard (teacher == nil) != (embeddings == nil) else { throw ValidationError("give either --teacher or --embeddings") }
        guard teacher == nil || data != nil else { throw ValidationError("--teacher needs --data, the manifest of the clips to embed") }
        guard maxNeighbors >= 1 else { throw ValidationError("--max-neighbors is at least 1") }
        guard threshold.isFinite, (-1...1).contains(threshold) else { throw ValidationError("--threshold is a cosine similarity, -1...1") }
        guard lshSplits.map({ (1...30).contains($0) }) ?? true, lshRounds >= 1 else {
            throw ValidationError("--lsh-splits is 1...30 and --lsh-rounds at least 1")
        }
        guard jobs >= 1 else { throw ValidationError("--jobs is at least 1") }
    }

    func run() throws {
        let manifest: Manifest?
        do {
            manifest = try data.map { try Manifest.read(path: $0, unlabelled: true) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        if let manifest, manifest.entries.isEmpty {
            printError("error: \(data!) lists no clips")
            throw ExitCode(2)
        }
        let matrix = try teacher != nil ? teacherEmbeddings(manifest!) : storedEmbeddings(manifest)
        BLAS.threads = 1
        let start = Date()
        let graph: NeighbourGraph
        let ids = manifest?.entries.map(\.path) ?? (0..<matrix.count).map(String.init)
        let text: String
        do {
            var generator = SeededRandom(seed: seed)
            graph = try NeighbourGraph(matrix, options: .init(
                threshold: threshold, maxNeighbours: maxNeighbors, undirected: undirected,
                search: lshSplits.map { .hashing(splits: $0, rounds: lshRounds) } ?? .allPairs, workers: jobs), generator: &generator)
            text = try graph.tsv(ids: ids)
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            printError("error: \(output): \(error)")
            throw ExitCode(2)
        }
        let statistics = GraphStatistics(graph, labels: manifest?.entries.map(\.label))
        let search = lshSplits.map { "LSH, \($0) splits × \(lshRounds) round\(lshRounds == 1 ? "" : "s")" } ?? "all pairs"
        print(String(format: "graph %@: %d nodes, %d edges, mean degree %.2f, %d isolated (threshold %g, at most %d neighbours%@, %@, %.2f s)",
                     output, statistics.nodes, statistics.edges, statistics.meanDegree, statistics.isolated, threshold, maxNeighbors,
                     undirected ? ", undirected" : "", search, Date().timeIntervalSince(start)))
        if let shared = statistics.sameLabel, let chance = statistics.sameLabelByChance {
            print(String(format: "neighbours sharing a label: %.1f %% of edges (%.1f %% by chance)", shared * 100, chance * 100))
        }
    }

    /// The rows of --embeddings, checked against the manifest.
    private func storedEmbeddings(_ manifest: Manifest?) throws -> NormalizedEmbeddings {
        do {
            let array = try NpyArray(path: embeddings!)
            if let manifest, array.rows != manifest.entries.count {
                throw NeighbourGraphError("\(embeddings!) has \(array.rows) rows, but \(data!) lists \(manifest.entries.count) clips")
            }
            return try NormalizedEmbeddings(array.values, count: array.rows, dimension: array.columns)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Each clip's teacher embedding, computed through the batch runner (skipping cached ones), then stacked.
    private func teacherEmbeddings(_ manifest: Manifest) throws -> NormalizedEmbeddings {
        let teacherFolder = URL(fileURLWithPath: teacher!).standardizedFileURL.path
        let folder = cache ?? ((output as NSString).deletingPathExtension + ".embeddings")
        let base = (data! as NSString).deletingLastPathComponent
        let inputs = manifest.entries.map { entry in
            let path = entry.path.hasPrefix("/") ? entry.path : (base as NSString).appendingPathComponent(entry.path)
            return BatchInput(path: path, stem: Self.cacheStem(teacher: teacherFolder, embedding: embedding, clip: path), size: 0)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        BLAS.threads = jobs > 1 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let validated = { try GraphValidator(registry: makeRegistry()).validate(self.chain()) }
        let graph: ValidatedGraph
        do {
            graph = try validated()
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let progress = ClipProgress(CountProgress(total: inputs.count, noun: "clips", interactive: isatty(STDERR_FILENO) == 1))
        let stop = StopSignals()
        let outcomes = try BatchProcessor(graph: graph, outputDirectory: folder, jobs: jobs, force: force)
            .run(inputs, progress: progress) { stop.requested }
        progress.counter.finish()
        if let status = stop.exitStatus { throw ExitCode(status) }
        var rows: [Float] = []
        var width = 0
        var failures: [String] = []
        for (index, outcome) in outcomes.enumerated() {
            if case .failed(let reason) = outcome {
                failures.append("\(inputs[index].path): \(reason)")
                continue
            }
            let file = (folder as NSString).appendingPathComponent(inputs[index].stem + ".npy")
            do {
                let array = try NpyArray(path: file)
                guard array.rows == 1 else {
                    throw NeighbourGraphError("\(inputs[index].path): the teacher gave \(array.rows) embeddings (\(file)); the clip is shorter than one frame?")
                }
                if width == 0 { width = array.columns }
                guard array.columns == width else {
                    throw NeighbourGraphError("\(file): \(array.columns) values, the other clips' embeddings \(width)")
                }
                rows += array.values
            } catch {
                failures.append("\(error)")
            }
        }
        for failure in failures { printError("error: \(failure)") }
        guard failures.isEmpty else { throw ExitCode.failure }
        return try NormalizedEmbeddings(rows, count: inputs.count, dimension: width)
    }

    /// file-source → resample → the teacher → npy-sink of one row per clip.
    private func chain() throws -> GraphSpec {
        var stages = [
            generatedStage("source", "file-source", [("channel", "mix")], from: nil),
            generatedStage("resample", "resample", [("rate", "16000"), ("quality", "very-high")], from: "source"),
        ]
        switch embedding {
        case .projector:
            stages.append(generatedStage("teacher", "wav2vec2-classifier", [("model", teacher!), ("window", "0")], from: "resample"))
            stages.append(generatedStage("embedding", "npy-sink", [("path", "{stem}.npy")], from: "teacher", port: "embedding"))
        case .hidden:
            stages.append(generatedStage("teacher", "wav2vec2-encoder", [("model", teacher!), ("window", "0"), ("pooling", "mean")],
                                         from: "resample"))
            stages.append(generatedStage("embedding", "npy-sink", [("path", "{stem}.npy")], from: "teacher"))
        }
        return GraphSpec(file: ChainParser.file, stages: stages)
    }

    /// A cache file name that changes with the teacher (its folder, its weights' size and time),
    /// the kind of embedding and the clip (64-bit FNV-1a, hex, then the clip's name).
    static func cacheStem(teacher: String, embedding: TeacherEmbedding, clip: String) -> String {
        let weights = try? FileManager.default.attributesOfItem(atPath: (teacher as NSString).appendingPathComponent("model.safetensors"))
        let version = "\((weights?[.size] as? NSNumber)?.int64Value ?? 0)@\((weights?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        let hash = fnv1a64("\(teacher)\n\(version)\n\(embedding.rawValue)\n\(clip)")
        return String(format: "%016llx", hash) + "-" + ((clip as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}
