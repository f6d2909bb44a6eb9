/// Where a sink may write: a file below the run's output folder (`-o`), named by a path
/// relative to it that never climbs out with `..`; or standard output, "-". The validator checks
/// paths as written, and each run checks them again once `{stem}` is filled in.
enum OutputPathRule {
    /// Why `path` cannot name an output file below the output folder, or nil when it can.
    static func problem(with path: String) -> String? {
        guard path != "-" else { return nil }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if path.isEmpty {
            return "is empty; name a file below the output folder, e.g. \"{stem}.jsonl\""
        }
        if path.hasPrefix("/") {
            return "'\(path)' is absolute; outputs are written below the output folder (-o), so give a path relative to it"
        }
        if components.contains("..") {
            return "'\(path)' climbs out with '..'; outputs are written below the output folder (-o)"
        }
        if components.allSatisfy({ $0.isEmpty || $0 == "." }) {
            return "'\(path)' names the output folder itself; name a file below it"
        }
        if let last = components.last, last.isEmpty || last == "." {
            return "'\(path)' names a folder; name a file"
        }
        return nil
    }

    /// `path` written one way (no "." or empty components), so that two spellings of one file
    /// compare equal.
    static func normalized(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
