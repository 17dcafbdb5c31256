import QuernIO

extension TrainedVocabulary {
    /// The vocabulary as a SentencePiece `ModelProto` (model_type BPE, identity normalization, the
    /// options it was trained with as its trainer_spec): what `NAME.model` holds, loadable by the
    /// sentencepiece library and by `SentencePieceTokenizer`.
    public func sentencePieceModel(input: [String] = []) -> SentencePieceModel {
        var trainer = SentencePieceModel.TrainerSpec()
        trainer.input = input
        trainer.modelType = .bpe
        trainer.vocabSize = Int32(pieces.count)
        trainer.characterCoverage = Float(options.characterCoverage)
        trainer.inputSentenceSize = UInt64(options.inputSentenceSize)
        trainer.maxSentenceLength = Int32(options.maxSentenceLength)
        trainer.numThreads = Int32(options.numThreads)
        trainer.maxSentencepieceLength = Int32(options.maxSentencePieceLength)
        trainer.splitByUnicodeScript = options.splitByUnicodeScript
        trainer.splitByNumber = options.splitByNumber
        trainer.splitByWhitespace = options.splitByWhitespace
        trainer.treatWhitespaceAsSuffix = options.treatWhitespaceAsSuffix
        trainer.allowWhitespaceOnlyPieces = options.allowWhitespaceOnlyPieces
        trainer.splitDigits = options.splitDigits
        trainer.controlSymbols = options.controlSymbols
        trainer.userDefinedSymbols = options.userDefinedSymbols
        trainer.byteFallback = options.byteFallback
        trainer.unkID = Int32(options.unkID)
        trainer.bosID = Int32(options.bosID)
        trainer.eosID = Int32(options.eosID)
        trainer.padID = Int32(options.padID)
        trainer.unkPiece = options.unkPiece
        trainer.bosPiece = options.bosPiece
        trainer.eosPiece = options.eosPiece
        trainer.padPiece = options.padPiece

        var normalizer = SentencePieceModel.NormalizerSpec()
        normalizer.name = "identity"
        normalizer.addDummyPrefix = options.addDummyPrefix
        normalizer.removeExtraWhitespaces = options.removeExtraWhitespaces
        normalizer.escapeWhitespaces = true

        return SentencePieceModel(
            pieces: pieces.map { SentencePieceModel.Piece($0.piece, score: $0.score, type: $0.type) },
            trainerSpec: trainer, normalizerSpec: normalizer)
    }

    /// Writes `NAME.model` (atomically).
    public func writeModel(to path: String, input: [String] = []) throws {
        try OutputFile.write(sentencePieceModel(input: input).serialized(), to: path, codec: .plain)
    }
}

extension TrainedVocabulary {
    /// The vocabulary as an HF tokenizer.json in the layout of HF's LLaMA conversion
    /// (Prepend/Replace normalizer, BPE with byte fallback, merges derived from the pieces).
    public func huggingFaceJSON() throws -> [UInt8] {
        let converted = pieces.map { HFTokenizerJSON.Piece($0.piece, score: $0.score, kind: $0.type) }
        return try HFTokenizerJSON.sentencePieceBPE(pieces: converted, addDummyPrefix: options.addDummyPrefix)
    }

    /// Writes `PREFIX.model`, `PREFIX.json` and `PREFIX.vocab`, each atomically.
    public func writeAll(prefix: String, inputs: [String] = []) throws {
        try writeModel(to: prefix + ".model", input: inputs)
        try HFTokenizerJSON.write(try huggingFaceJSON(), to: prefix + ".json")
        try writeVocab(to: prefix + ".vocab")
    }
}
