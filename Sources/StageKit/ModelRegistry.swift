import Foundation

/// The models of a process, loaded once per folder and content and shared by every stage that
/// names them: a stage asks for a folder, the registry hashes the folder's files and returns
/// the model already loaded from the same content, or loads it with the stage's loader.
/// A model whose files change is loaded again (a new hash); what a stage no longer uses is
/// released with `release`. Safe to use from any thread; loading happens on the caller's.
public final class ModelRegistry: @unchecked Sendable {
    /// The registry the engine hands to stages unless a run supplies its own.
    public static let shared = ModelRegistry()

    /// One loaded model, as `sergraph ctl status` shows it.
    public struct Entry: Sendable, Equatable {
        /// The model folder, standardised.
        public var path: String
        /// A hash of the folder's files (names and bytes), 16 hexadecimal digits.
        public var contentHash: String
        /// When it was loaded.
        public var loadedAt: Date
        /// What the loader made of it (e.g. "student", "wav2vec2 float32").
        public var variant: String
    }

    private struct Loaded {
        var entry: Entry
        var model: any Sendable
    }

    private let lock = NSLock()
    /// Serialises loading, so two stages naming one folder load it once.
    private let loading = NSLock()
    private var models: [String: Loaded] = [:]

    /// An empty registry.
    public init() {}

    /// The model in `folder` as `load` makes it, shared with every earlier request for the same
    /// folder content and `variant`.
    /// - Returns: the model and its registry entry.
    /// - Throws: what `load` throws (it names the file and what is wrong), or a file error.
    public func model<Model: Sendable>(at folder: String, variant: String,
                                       load: (String) throws -> Model) throws -> (model: Model, entry: Entry) {
        let path = URL(fileURLWithPath: folder).standardizedFileURL.path
        let hash = try Self.contentHash(of: path)
        let key = Self.key(path: path, hash: hash, variant: variant)
        return try loading.withLock {
            if let cached = lock.withLock({ models[key] }), let model = cached.model as? Model {
                return (model, cached.entry)
            }
            let model = try load(path)
            let entry = Entry(path: path, contentHash: hash, loadedAt: Date(), variant: variant)
            lock.withLock { models[key] = Loaded(entry: entry, model: model) }
            return (model, entry)
        }
    }

    /// Forgets the model of `entry`, so its memory goes when the last stage holding it lets go.
    public func release(_ entry: Entry) {
        _ = lock.withLock { models.removeValue(forKey: Self.key(path: entry.path, hash: entry.contentHash, variant: entry.variant)) }
    }

    /// Every model held, by path.
    public var entries: [Entry] {
        lock.withLock { models.values.map(\.entry) }.sorted { ($0.path, $0.variant) < ($1.path, $1.variant) }
    }

    private static func key(path: String, hash: String, variant: String) -> String {
        path + "\u{0}" + hash + "\u{0}" + variant
    }

    /// A 64-bit hash of the regular files directly in `folder` (a single file: its bytes), by
    /// name and content, in hexadecimal.
    /// - Throws: `StageError.file` when the folder or one of its files cannot be read.
    public static func contentHash(of folder: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw StageError.file(path: folder, message: "no such model folder")
        }
        var files = [folder]
        if isFolder.boolValue {
            do {
                files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                    .map { (folder as NSString).appendingPathComponent($0) }
                    .filter { (try? FileManager.default.attributesOfItem(atPath: $0)[.type] as? FileAttributeType) == .typeRegular }
            } catch {
                throw StageError.file(path: folder, message: "cannot list the model folder: \(error.localizedDescription)")
            }
        }
        var hash = ContentHash()
        for file in files {
            hash.add(Array(((file as NSString).lastPathComponent + "\u{0}").utf8))
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw StageError.file(path: file, message: "cannot be read")
            }
            defer { try? handle.close() }
            while true {
                let chunk: Data
                do {
                    guard let read = try handle.read(upToCount: 1 << 22), !read.isEmpty else { break }
                    chunk = read
                } catch {
                    throw StageError.file(path: file, message: "cannot be read: \(error.localizedDescription)")
                }
                chunk.withUnsafeBytes { hash.add($0) }
            }
        }
        return String(format: "%016llx", hash.value)
    }
}

/// FNV-1a over 64-bit words (the tail byte by byte), then mixed: fast enough for
/// encoder checkpoints of hundreds of megabytes, not a cryptographic hash.
private struct ContentHash {
    private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private var length: UInt64 = 0
    private static let prime: UInt64 = 0x100_0000_01b3

    mutating func add(_ bytes: [UInt8]) { bytes.withUnsafeBytes { add($0) } }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        for index in 0..<words {
            state = (state ^ bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* Self.prime
        }
        for index in (words * 8)..<bytes.count {
            state = (state ^ UInt64(bytes[index])) &* Self.prime
        }
        length &+= UInt64(bytes.count)
    }

    var value: UInt64 {
        var mixed = state ^ length
        mixed = (mixed ^ (mixed >> 33)) &* 0xff51_afd7_ed55_8ccd
        return mixed ^ (mixed >> 33)
    }
}
