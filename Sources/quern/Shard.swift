import ArgumentParser
import Foundation
import QuernIO
import QuernShards
import QuernTokenizer

struct Shard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize documents on all cores into llm.c or Megatron-LM binary shards.",
        discussion: """
            Inputs are JSONL documents (their "text") or plain text (one document per non-empty \
            line, as `quern count` counts them), any codec. An input is PATH (source "data") or \
            NAME=PATH; several inputs may share a NAME. Token counts per source and file equal \
            `quern count`'s (no BOS/EOS); the manifest also gives them with BOS/EOS.

            Formats: llmc writes train_000000.bin, … (and val_…): a 256×int32 header (magic \
            20240520 version 1 with uint16 tokens; 20240801 version 7 with uint32 tokens when the \
            vocabulary exceeds 65536), then the tokens; shards hold exactly --shard-tokens tokens \
            (the last the rest). megatron writes train.bin/.idx and val.bin/.idx (MMIDIDX, one \
            sequence per document). both writes both. BOS before and EOS after each document \
            unless --no-bos/--no-eos.

            Validation: a document goes to val when a 64-bit hash of its text bytes is below \
            F × 2^64: the same text always lands on the same side.

            Mixture: --mix NAME=WEIGHT[:EPOCHS], one per source (or none: every source once). \
            A source with EPOCHS is passed over that many times (2 repeats it; 0.3 or the .5 of \
            1.5 takes that share of its documents, chosen by hash). Weight-only sources share a \
            token budget in proportion to their weights, the largest that repeats none of them: \
            the scarcest source per unit of weight is used once, the others subsampled. Weights \
            are relative (they need not sum to 100). The plan is printed before writing. \
            Example, LLaMA's Table 1: --mix cc=67 --mix c4=15 --mix github=4.5 \
            --mix wikipedia=4.5:2 --mix books=4.5:2 --mix arxiv=2.5 --mix stackexchange=2.

            Order: sources are interleaved by a seeded random merge, then shuffled within a window \
            of --shuffle-window documents (a local shuffle: memory stays bounded). Same inputs and \
            --seed give byte-identical shards.

            Interruption: shards are written under temporary names and renamed when complete; \
            encoded inputs and finished shards are kept in DIR/.quern-shard. Rerunning the same \
            command reuses them (checksums verified) and finishes the job; manifest.json is \
            written last. A rerun with other inputs or options replaces DIR's earlier shards.
            """)

    @OptionGroup var tokenizerOptions: TokenizerOptions

    @Argument(help: "Inputs: PATH or NAME=PATH.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "llmc, megatron or both.")
    var format: String = "llmc"

    @Option(help: "Tokens per llm.c shard.")
    var shardTokens: Int = 100_000_000

    @Option(help: "Fraction of documents (by text hash) for validation.")
    var valFraction: Double = 0

    @Option(help: "NAME=WEIGHT[:EPOCHS], once per source.")
    var mix: [String] = []

    @Option(help: "Seed of the interleave and shuffle.")
    var seed: UInt64 = 1337

    @Option(help: "Documents in the shuffle window.")
    var shuffleWindow: Int = 1 << 20

    @Flag(inversion: .prefixedNo, help: "Put the BOS id before each document.")
    var bos = true

    @Flag(inversion: .prefixedNo, help: "Put the EOS id after each document.")
    var eos = true

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        guard let shardFormat = ShardFormat(rawValue: format) else {
            throw ValidationError("--format must be llmc, megatron or both")
        }
        var order: [String] = []
        var paths: [String: [String]] = [:]
        for input in inputs {
            var name = "data", path = input
            if !FileManager.default.fileExists(atPath: input), let eq = input.firstIndex(of: "=") {
                name = String(input[..<eq])
                path = String(input[input.index(after: eq)...])
            }
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("no such input: \(path)")
            }
            if paths[name] == nil { order.append(name) }
            paths[name, default: []].append(path)
        }
        let sources = order.map { ShardSource(name: $0, paths: paths[$0]!) }
        let mixes = try mix.map { try MixSpec(parsing: $0) }
        let tokenizerPath = try tokenizerOptions.tokenizer ?? DefaultVocabulary.path()
        var options = ShardOptions(outputDirectory: output)
        options.format = shardFormat
        options.shardTokens = shardTokens
        options.validationFraction = valFraction
        options.seed = seed
        options.shuffleWindow = shuffleWindow
        options.addBOS = bos
        options.addEOS = eos
        options.threads = threads
        let sharder = try Sharder(sources: sources, mixes: mixes, tokenizer: try tokenizerOptions.load(),
                                  tokenizerPath: tokenizerPath, options: options)
        sharder.log = { StandardError.write($0) }
        let manifest = try sharder.run()
        let tokens = manifest.shards.filter { $0.format == manifest.shards.first?.format }.reduce(0) { $0 + $1.tokens }
        let text = manifest.sources.reduce(0) { $0 + $1.tokens }
        StandardError.write("quern: \(manifest.shards.count) file(s) in \(output): \(tokens) tokens with BOS/EOS; inputs \(text) tokens (quern count)\n")
    }
}
