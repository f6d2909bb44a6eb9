import Foundation
import StageKit

/// Which part of a corpus a clip belongs to. Speakers never cross parts.
public enum Split: String, Sendable, CaseIterable, Comparable {
    case train, dev, test

    public static func < (a: Split, b: Split) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One clip: `path` is relative to the manifest's folder; `label` is empty for an unlabelled clip.
public struct ManifestEntry: Sendable, Equatable {
    public var path: String
    public var label: String
    public var speaker: String
    public var split: Split

    public init(path: String, label: String, speaker: String, split: Split) {
        self.path = path
        self.label = label
        self.speaker = speaker
        self.split = split
    }

    /// Whether the clip has a label (unlabelled train clips take part in graph-regularised training only).
    public var isLabelled: Bool { !label.isEmpty }
}

/// A manifest line that cannot be used, with the file and line it is on.
public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var reason: String
    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}

/// A corpus manifest: CSV with the header `path,label,speaker,split`, paths relative to its folder.
public struct Manifest: Sendable {
    public static let header = "path,label,speaker,split"
    /// The classes a manifest holds unless told otherwise.
    public static let defaultLabels = ["neutral", "happy", "sad", "angry", "fearful"]

    public var entries: [ManifestEntry]

    public init(entries: [ManifestEntry]) { self.entries = entries }

    /// The labels present, sorted.
    public var labels: [String] {
        Array(Set(entries.filter(\.isLabelled).map(\.label))).sorted()
    }

    /// The entries of one split.
    public func entries(in split: Split) -> [ManifestEntry] { entries.filter { $0.split == split } }

    /// Reads and checks a manifest: every line has four non-empty fields, a known split, a label
    /// among `labels` (any label when nil), a path not seen before, and a file that exists.
    /// With `unlabelled`, a train clip's label may be empty (an unlabelled clip).
    /// The first problem is thrown with its line number.
    public static func read(path: String, labels: [String]? = nil, unlabelled: Bool = false) throws -> Manifest {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ManifestError(file: path, line: 0, reason: "cannot read the manifest (\(error.localizedDescription))")
        }
        let folder = parentFolder(of: path)
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first.trimmingCharacters(in: .whitespaces.union(["\r"])) == header else {
            throw ManifestError(file: path, line: 1, reason: "the first line must be the header '\(header)'")
        }
        var entries: [ManifestEntry] = []
        var seen: [String: Int] = [:]
        for (index, raw) in lines.enumerated().dropFirst() {
            let number = index + 1
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            func fail(_ reason: String) -> ManifestError { ManifestError(file: path, line: number, reason: reason) }
            let fields = try parseCSVLine(line).get(orThrow: fail)
            guard fields.count == 4 else {
                throw fail("expected 4 fields (path,label,speaker,split), found \(fields.count)")
            }
            let names = ["path", "label", "speaker", "split"]
            if let empty = fields.indices.first(where: { fields[$0].isEmpty && !(unlabelled && $0 == 1) }) {
                throw fail("empty \(names[empty])")
            }
            guard let split = Split(rawValue: fields[3]) else {
                throw fail("unknown split '\(fields[3])'; it is train, dev or test")
            }
            if fields[1].isEmpty && split != .train {
                throw fail("a \(split) clip needs a label (only train clips may be unlabelled)")
            }
            if let labels, !fields[1].isEmpty, !labels.contains(fields[1]) {
                throw fail("unknown label '\(fields[1])'; the labels are \(labels.joined(separator: ", "))")
            }
            if let earlier = seen[fields[0]] {
                throw fail("'\(fields[0])' is listed twice (first on line \(earlier))")
            }
            let full = fields[0].hasPrefix("/") ? fields[0] : (folder as NSString).appendingPathComponent(fields[0])
            guard FileManager.default.fileExists(atPath: full) else {
                throw fail("file not found: \(full)")
            }
            seen[fields[0]] = number
            entries.append(ManifestEntry(path: fields[0], label: fields[1], speaker: fields[2], split: split))
        }
        return Manifest(entries: entries)
    }

    /// The manifest as CSV text, header first, fields quoted where CSV needs it.
    public func csv() -> String {
        var text = Manifest.header + "\n"
        for entry in entries {
            text += [entry.path, entry.label, entry.speaker, entry.split.rawValue].map(csvField).joined(separator: ",") + "\n"
        }
        return text
    }

    /// Writes the manifest to `path` (through a temporary file, renamed when complete).
    public func write(to path: String) throws {
        let partial = path + ".partial"
        try Data(csv().utf8).write(to: URL(fileURLWithPath: partial))
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: partial, toPath: path)
    }
}

private func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Splits one CSV line into fields (RFC 4180 quoting within the line).
private func parseCSVLine(_ line: String) -> Result<[String], CSVLineError> {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var atFieldStart = true
    var iterator = Array(line).makeIterator()
    var pending: Character? = nil
    while let character = pending ?? iterator.next() {
        pending = nil
        if quoted {
            if character == "\"" {
                let next = iterator.next()
                if next == "\"" { field.append("\"") } else { quoted = false; pending = next; if next == nil { break } }
            } else {
                field.append(character)
            }
        } else if character == "," {
            fields.append(field)
            field = ""
            atFieldStart = true
            continue
        } else if character == "\"" && atFieldStart {
            quoted = true
        } else if character == "\"" {
            return .failure(CSVLineError(reason: "a quote inside an unquoted field"))
        } else {
            field.append(character)
        }
        atFieldStart = false
    }
    if quoted { return .failure(CSVLineError(reason: "a quoted field is not closed")) }
    fields.append(field)
    return .success(fields)
}

private struct CSVLineError: Error { var reason: String }

private extension Result where Failure == CSVLineError {
    func get(orThrow make: (String) -> ManifestError) throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw make(error.reason)
        }
    }
}
