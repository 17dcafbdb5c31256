import ArgumentParser
import QuernIO
import QuernTokenizer

/// Options every command that uses a tokenizer shares.
struct TokenizerOptions: ParsableArguments {
    @Option(name: [.customShort("T"), .long],
            help: "Tokenizer: a SentencePiece .model, an HF tokenizer.json or a tiktoken rank file (recognized by content). Default: Quern's vocabulary in Vocab/.")
    var tokenizer: String?

    @Option(help: "Pre-tokenization pattern of a tiktoken rank file: gpt2, cl100k_base, o200k_base or llama3 (inferred from the rank count when omitted).")
    var pattern: String?

    func load() throws -> any Tokenizer {
        var preset: PreTokenizerPattern?
        if let pattern {
            guard let p = PreTokenizerPattern(name: pattern) else {
                throw ValidationError("unknown pattern '\(pattern)': use gpt2, cl100k_base, o200k_base or llama3")
            }
            preset = p
        }
        let path = try tokenizer ?? DefaultVocabulary.path()
        return try TokenizerFile.load(path, pattern: preset)
    }
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode text to token ids, one line of ids per input line.",
        discussion: """
            SentencePiece's spm_encode --output_format=id convention: each input line becomes one \
            line of space-separated ids (an empty line stays empty). Ids equal the reference \
            library's (sentencepiece, tokenizers, tiktoken encode_ordinary) for that file.
            """)

    @OptionGroup var tokenizerOptions: TokenizerOptions

    @Argument(help: "Input text (default: standard input); any codec.")
    var input: String = "-"

    @Flag(help: "Print pieces instead of ids.")
    var pieces = false

    @Flag(help: "Put the BOS id before each line.")
    var bos = false

    @Flag(help: "Put the EOS id after each line.")
    var eos = false

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        let tokenizer = try tokenizerOptions.load()
        try LineCoding.encode(try Input.open(input, threads: threads), with: tokenizer, to: StandardOutput(),
                              as: pieces ? .pieces : .ids, addBOS: bos, addEOS: eos, threads: threads)
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode lines of space-separated token ids back to text.")

    @OptionGroup var tokenizerOptions: TokenizerOptions

    @Argument(help: "Input ids (default: standard input); any codec.")
    var input: String = "-"

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        let tokenizer = try tokenizerOptions.load()
        try LineCoding.decode(try Input.open(input, threads: threads), with: tokenizer, to: StandardOutput(),
                              threads: threads)
    }
}

struct Count: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count tokens per file and in total.",
        discussion: """
            Plain text is counted line by line (one sentence per line; empty lines skipped), JSONL \
            documents by their "text" field; the format is recognized from the first bytes \
            (override with --format). Inputs may be compressed. BOS/EOS are not counted.
            """)

    @OptionGroup var tokenizerOptions: TokenizerOptions

    @Argument(help: "Text or JSONL files.")
    var files: [String]

    @Option(help: "text or jsonl (default: recognized per file; required for standard input).")
    var format: InputFormat?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        let tokenizer = try tokenizerOptions.load()
        let results = files.map { TokenCounter.count($0, tokenizer: tokenizer, format: format, threads: threads) }
        for result in results {
            for error in result.malformedLines { StandardError.write("quern: \(error)\n") }
            if let failure = result.failure { StandardError.write("quern: \(failure)\n") }
        }
        print(json ? TokenCountReport.json(results) : TokenCountReport.table(results), terminator: "")
        if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }
}

extension InputFormat: ExpressibleByArgument {}

struct TokenizerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train tokenizers.",
        subcommands: [TrainTokenizer.self])
}

struct TrainTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a BPE vocabulary with LLaMA's recipe (SentencePiece BPE, byte fallback, split digits).",
        discussion: """
            Writes NAME.model (SentencePiece, loadable by the sentencepiece library), NAME.json \
            (HF tokenizer.json) and NAME.vocab (piece and score per line). Inputs: plain text, one \
            sentence per line, or JSONL documents ("text"), compressed or not. Defaults are \
            LLaMA's trainer settings.

            --mode byte-level trains a byte-level BPE with a pre-tokenization pattern (--pattern, \
            default llama3), as tiktoken/minbpe do: ranks 0..255 are the bytes, then one token per \
            merge (ties: smallest (left, right) rank pair). It writes NAME.tiktoken (rank file), \
            NAME.json (HF tokenizer.json) and NAME.vocab (base64 token, TAB, rank per line); only \
            --vocab-size, --format and --threads apply.
            """)

    @Option(help: "sentencepiece (default) or byte-level.")
    var mode: String = "sentencepiece"

    @Option(help: "Pre-tokenization pattern for --mode byte-level: gpt2, cl100k_base, o200k_base or llama3.")
    var pattern: String = "llama3"

    @Argument(help: "Training files.")
    var files: [String]

    @Option(name: .shortAndLong, help: "Output name: writes NAME.model, NAME.json and NAME.vocab (byte-level: NAME.tiktoken, NAME.json, NAME.vocab).")
    var output: String

    @Option(help: "Vocabulary size.")
    var vocabSize: Int = 32000

    @Option(help: "Fraction of characters the alphabet covers; rarer ones fall back to bytes.")
    var characterCoverage: Double = 0.99995

    @Option(help: "Longest piece in characters.")
    var maxPieceLength: Int = 16

    @Flag(inversion: .prefixedNo, help: "Split numbers into single digits.")
    var splitDigits = true

    @Flag(inversion: .prefixedNo, help: "Add the 256 byte pieces <0x00>..<0xFF> for characters outside the vocabulary.")
    var byteFallback = true

    @Option(help: "Pieces always kept whole (comma-separated).")
    var userDefinedSymbols: String = ""

    @Option(help: "Control symbols (comma-separated).")
    var controlSymbols: String = ""

    @Option(help: "Train on a deterministic sample of this many sentences (0: all).")
    var inputSentenceSize: Int = 0

    @Option(help: "Seed of the sample.")
    var seed: UInt64 = 12_345_678

    @Option(help: "text, jsonl or auto (JSONL when the name says .jsonl or the content starts with '{').")
    var format: String = "auto"

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        switch mode {
        case "sentencepiece": break
        case "byte-level":
            guard let preset = PreTokenizerPattern(name: pattern) else {
                throw ValidationError("unknown pattern '\(pattern)': use gpt2, cl100k_base, o200k_base or llama3")
            }
            guard let inputFormat = TrainerInputFormat(rawValue: format) else {
                throw ValidationError("--format must be text, jsonl or auto")
            }
            let ranks = try ByteLevelTrainer.train(files: files, vocabSize: vocabSize, pattern: preset,
                                                   threads: threads, inputFormat: inputFormat)
            try ByteLevelTrainer.writeAll(ranks, pattern: preset, prefix: output)
            StandardError.write("quern: wrote \(output).tiktoken, \(output).json and \(output).vocab (\(ranks.count) tokens)\n")
            return
        default:
            throw ValidationError("--mode must be sentencepiece or byte-level")
        }
        var options = BPETrainerOptions()
        options.vocabSize = vocabSize
        options.characterCoverage = characterCoverage
        options.maxSentencePieceLength = maxPieceLength
        options.splitDigits = splitDigits
        options.byteFallback = byteFallback
        options.userDefinedSymbols = userDefinedSymbols.split(separator: ",").map(String.init)
        options.controlSymbols = controlSymbols.split(separator: ",").map(String.init)
        options.inputSentenceSize = inputSentenceSize
        options.seed = seed
        options.numThreads = threads
        guard let inputFormat = TrainerInputFormat(rawValue: format) else {
            throw ValidationError("--format must be text, jsonl or auto")
        }
        options.inputFormat = inputFormat
        let vocabulary = try BPETrainer.train(files: files, options: options)
        try vocabulary.writeAll(prefix: output, inputs: files)
        StandardError.write("quern: wrote \(output).model, \(output).json and \(output).vocab (\(vocabulary.pieces.count) pieces)\n")
    }
}
