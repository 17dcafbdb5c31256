import QuernIO

/// Opening a tokenizer by what the file holds, never by its name (LLaMA 3's tiktoken rank file
/// is called `tokenizer.model`, like SentencePiece models).
public enum TokenizerFile {
    /// The formats Quern reads.
    public enum Format: String, Sendable {
        case sentencePiece = "SentencePiece model"
        case huggingFace = "HF tokenizer.json"
        case tiktoken = "tiktoken rank file"
    }

    /// Recognizes the format from the first bytes: a JSON object is a tokenizer.json, lines of
    /// `base64 rank` a tiktoken file, anything else must parse as a SentencePiece ModelProto.
    public static func format(of bytes: [UInt8]) -> Format {
        var i = 0
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        if i < bytes.count && bytes[i] == UInt8(ascii: "{") { return .huggingFace }
        // "base64 rank": base64 characters, one space, decimal digits, end of line.
        var j = i
        while j < bytes.count, isBase64(bytes[j]) { j += 1 }
        if j > i, j < bytes.count, bytes[j] == 0x20 {
            var k = j + 1
            while k < bytes.count, bytes[k] >= 0x30 && bytes[k] <= 0x39 { k += 1 }
            if k > j + 1, k == bytes.count || bytes[k] == 0x0A || bytes[k] == 0x0D { return .tiktoken }
        }
        return .sentencePiece
    }

    private static func isBase64(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=")
    }

    /// Loads a tokenizer of any supported format (the file may also be compressed). A tiktoken
    /// rank file needs its pre-tokenization `pattern`; without one it is inferred from the
    /// number of ranks of the files that ship with known patterns (Llama 3: 128000 with its
    /// special tokens; cl100k_base: 100256; o200k_base: 199998; GPT-2: 50256 or 50257).
    public static func load(_ path: String, pattern: PreTokenizerPattern? = nil) throws(TokenizerError) -> any Tokenizer {
        let bytes: [UInt8]
        do {
            bytes = try Input.open(path, threads: 1).readAll()
        } catch {
            throw TokenizerError(file: path, message: "cannot read: \(error)")
        }
        guard !bytes.isEmpty else { throw TokenizerError(file: path, message: "the file is empty") }
        switch format(of: bytes) {
        case .huggingFace:
            return try HFTokenizer(json: bytes, name: path)
        case .sentencePiece:
            return try SentencePieceTokenizer(bytes: bytes, name: path)
        case .tiktoken:
            let ranks = try TiktokenFile.parse(bytes, name: path)
            let chosen: PreTokenizerPattern
            if let pattern {
                chosen = pattern
            } else {
                switch ranks.count {
                case 128_000: chosen = .llama3
                case 100_256: chosen = .cl100kBase
                case 199_998: chosen = .o200kBase
                case 50_256, 50_257: chosen = .gpt2
                default:
                    throw TokenizerError(file: path, message: "a tiktoken rank file of \(ranks.count) ranks: "
                        + "say which pre-tokenization pattern it was trained with (--pattern gpt2, cl100k_base, o200k_base or llama3)")
                }
            }
            if chosen == .llama3 && ranks.count == 128_000 {
                return try TiktokenTokenizer(ranks: ranks, name: path, pattern: .llama3,
                                             specialTokens: TiktokenTokenizer.llama3SpecialTokens(rankCount: ranks.count),
                                             bos: "<|begin_of_text|>", eos: "<|end_of_text|>")
            }
            return try TiktokenTokenizer(ranks: ranks, name: path, pattern: chosen)
        }
    }
}
