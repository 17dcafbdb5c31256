import QuernIO

/// A named group of input files (`NAME=PATH` on the command line).
public struct ShardSource: Sendable, Equatable {
    public var name: String
    public var paths: [String]
    public init(name: String, paths: [String]) {
        self.name = name
        self.paths = paths
    }

    /// Names become file names in the work folder: letters, digits, '_', '-', '.'.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
        }
    }
}

/// `--mix NAME=WEIGHT[:EPOCHS]`.
public struct MixSpec: Sendable, Equatable {
    public var name: String
    public var weight: Double
    public var epochs: Double?

    public init(name: String, weight: Double, epochs: Double? = nil) {
        self.name = name
        self.weight = weight
        self.epochs = epochs
    }

    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw QuernIOError(.invalidArgument, file: "--mix", message: "'\(text)': expected NAME=WEIGHT[:EPOCHS]")
        }
        name = String(text[..<eq])
        let rest = text[text.index(after: eq)...].split(separator: ":", omittingEmptySubsequences: false)
        guard rest.count == 1 || rest.count == 2, let w = Double(rest[0]), w.isFinite, w > 0 else {
            throw QuernIOError(.invalidArgument, file: "--mix", message: "'\(text)': the weight must be a number > 0 (NAME=WEIGHT[:EPOCHS])")
        }
        weight = w
        if rest.count == 2 {
            guard let e = Double(rest[1]), e.isFinite, e > 0 else {
                throw QuernIOError(.invalidArgument, file: "--mix", message: "'\(text)': epochs must be a number > 0")
            }
            epochs = e
        }
    }
}

/// How many passes over each source the training split makes.
///
/// Rule: with no `--mix`, every source is used once (epochs 1). With `--mix`, a source given
/// `:EPOCHS` gets exactly that many passes (whole passes repeat it, a fraction takes that share
/// of its documents by hash). The weight-only sources share a budget B of text tokens in
/// proportion to their weights (weight / sum of all weights × B); B is the largest budget that
/// repeats no weight-only source, so the scarcest one (tokens per unit of weight) is used
/// exactly once and the others are subsampled. Weights of sources with explicit epochs are
/// then only reported next to the share they actually get.
public enum MixturePlanner {
    public static func epochs(trainTokens: [String: Int], mixes: [MixSpec]) throws -> [String: Double] {
        if mixes.isEmpty { return trainTokens.mapValues { _ in 1 } }
        let byName = Dictionary(mixes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard byName.count == mixes.count else {
            throw QuernIOError(.invalidArgument, file: "--mix", message: "a source is given two --mix entries")
        }
        for name in trainTokens.keys where byName[name] == nil {
            throw QuernIOError(.invalidArgument, file: "--mix", message: "source '\(name)' has no --mix entry (give every source one, or none)")
        }
        for mix in mixes where trainTokens[mix.name] == nil {
            throw QuernIOError(.invalidArgument, file: "--mix", message: "--mix names '\(mix.name)', which has no input (use \(mix.name)=PATH)")
        }
        let totalWeight = mixes.reduce(0) { $0 + $1.weight }
        let free = mixes.filter { $0.epochs == nil }
        var budget = Double.infinity
        for mix in free {
            let tokens = Double(trainTokens[mix.name]!)
            guard tokens > 0 else {
                throw QuernIOError(.invalidArgument, file: "--mix", message: "source '\(mix.name)' has no training tokens, so its weight cannot be met")
            }
            budget = min(budget, tokens * totalWeight / mix.weight)
        }
        var result: [String: Double] = [:]
        for mix in mixes {
            if let e = mix.epochs {
                result[mix.name] = e
            } else {
                result[mix.name] = mix.weight / totalWeight * budget / Double(trainTokens[mix.name]!)
            }
        }
        return result
    }

    /// Whether document `hash` takes part in pass `pass` (0-based) of a source used `epochs`
    /// times: every whole pass takes all documents; the last, partial pass takes the documents
    /// whose pass-salted hash falls below the fraction.
    @inline(__always)
    public static func includes(hash: UInt64, pass: Int, epochs: Double, seed: UInt64) -> Bool {
        let whole = epochs.rounded(.down)
        if Double(pass) < whole { return true }
        let fraction = epochs - whole
        guard fraction > 0, Double(pass) == whole else { return false }
        let salted = DocumentHash.mix(hash ^ DocumentHash.mix(seed &+ UInt64(pass) &* 0x9e37_79b9_7f4a_7c15))
        return DocumentHash.unit(salted) < fraction
    }

    public static func passes(_ epochs: Double) -> Int { Int(epochs.rounded(.up)) }
}

/// The validation split: a document goes to validation when its text hash, as a fraction of
/// 2^64, is below F. Depends on the text alone.
public enum ValidationSplit {
    @inline(__always)
    public static func isValidation(hash: UInt64, fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        if fraction >= 1 { return true }
        return Double(hash) < fraction * 0x1p64
    }
}
