import Foundation
import StageKit

/// One of `count` disjoint parts of a batch's inputs, so that array tasks (Slurm job arrays,
/// Kubernetes indexed jobs) can split a corpus without talking to each other.
///
/// The rule: an input belongs to shard `fmix64(fnv1a64(stem)) % count`, where `stem` is the
/// input's path below the folder it was found in, without extension (the name its outputs take,
/// see `BatchInput.stem`), and fmix64 is MurmurHash3's 64-bit finaliser (FNV-1a alone splits
/// names that differ in their last characters unevenly). It depends on nothing but that name, so
/// it is the same whatever order the file system lists the folder in and wherever the corpus is
/// mounted; every input is in exactly one shard, and shards never write the same output.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
    /// This shard's number, 0 ..< count.
    public let index: Int
    /// How many shards the inputs are split into.
    public let count: Int

    /// Shard `index` of `count`.
    /// - Throws: `BatchInputError` unless 0 ≤ index < count.
    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw BatchInputError(description: "--shard: the number of shards must be at least 1, not \(count)") }
        guard (0..<count).contains(index) else {
            throw BatchInputError(description: "--shard: shard \(index) does not exist; shards of \(count) are numbered 0 to \(count - 1)")
        }
        self.index = index
        self.count = count
    }

    /// "K/N" as given to `--shard` (K counted from 0).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw BatchInputError(description: "--shard: '\(text)' is not K/N (e.g. 0/4 for the first of 4 shards) or auto")
        }
        try self.init(index: index, count: count)
    }

    /// The shard named by a job array's environment: Slurm's `SLURM_ARRAY_TASK_ID` with
    /// `SLURM_ARRAY_TASK_COUNT` (or `_MIN`, `_MAX` and `_STEP`: task MIN is shard 0), or a
    /// Kubernetes indexed job's `JOB_COMPLETION_INDEX` with `count` (its completions).
    /// Given a `count`, a Slurm task's ID is its shard, whatever array it is in: a task
    /// resubmitted alone (`sbatch --array=2 …`) still does shard 2 of `count`.
    /// - Throws: `BatchInputError` saying what is missing or inconsistent.
    public init(environment: [String: String], count: Int?) throws {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw BatchInputError(description: "--shard auto: \(name)='\(text)' is not a whole number")
            }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            if let count {
                try self.init(index: task, count: count)
                return
            }
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = max(1, try number("SLURM_ARRAY_TASK_STEP") ?? 1)
            let fromRange = try number("SLURM_ARRAY_TASK_MAX").map { ($0 - minimum) / step + 1 }
            guard let tasks = try number("SLURM_ARRAY_TASK_COUNT") ?? fromRange else {
                throw BatchInputError(description: "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX")
            }
            if let fromRange, fromRange != tasks {
                throw BatchInputError(description: "--shard auto: the Slurm array has \(tasks) tasks but its range \(minimum)-\(minimum + (fromRange - 1) * step) would hold \(fromRange); give the array as one range (e.g. --array=0-\(tasks - 1))")
            }
            guard (task - minimum) % step == 0 else {
                throw BatchInputError(description: "--shard auto: SLURM_ARRAY_TASK_ID \(task) is not in the array's range (from \(minimum) in steps of \(step))")
            }
            try self.init(index: (task - minimum) / step, count: tasks)
        } else if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count else {
                throw BatchInputError(description: "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes indexed job) but the number of shards is not: give --shard-count (the job's completions)")
            }
            try self.init(index: index, count: count)
        } else {
            throw BatchInputError(description: "--shard auto: found neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed job); give --shard K/N instead")
        }
    }

    /// The shard (0 ..< `count`) an input whose outputs are named after `stem` belongs to.
    public static func shard(ofStem stem: String, count: Int) -> Int {
        var hash = fnv1a64(stem)
        hash = (hash ^ (hash >> 33)) &* 0xff51_afd7_ed55_8ccd
        hash = (hash ^ (hash >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return Int((hash ^ (hash >> 33)) % UInt64(count))
    }

    /// Whether `input` belongs to this shard.
    public func contains(_ input: BatchInput) -> Bool { Self.shard(ofStem: input.stem, count: count) == index }

    /// "K/N".
    public var description: String { "\(index)/\(count)" }
}
