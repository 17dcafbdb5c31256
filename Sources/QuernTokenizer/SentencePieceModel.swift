#if canImport(Glibc)
import Glibc
#endif
import QuernIO

/// A SentencePiece model file (`sentencepiece_model.proto`'s `ModelProto`): the vocabulary with
/// scores and types, the trainer's settings and the normalizer's. Read from and written to the
/// protobuf wire format without a protobuf library.
///
/// proto2 semantics are kept: every optional field remembers whether it was present, unknown
/// fields (extensions, `self_test_data`, fields of later sentencepiece versions) are kept as they
/// were read, and `serialized()` writes fields in field-number order as C++ protobuf does, so a
/// model read and written back is byte-identical to the file it came from.
///
/// This type is the file only: `SentencePieceTokenizer` checks it the way sentencepiece does when
/// it loads a model (unique pieces, one `<unk>`, 256 byte pieces with `byte_fallback`, ...).
public struct SentencePieceModel: Sendable, Equatable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int32, Sendable, CaseIterable {
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    /// `TrainerSpec.ModelType`.
    public enum ModelType: Int32, Sendable, CaseIterable {
        case unigram = 1
        case bpe = 2
        case word = 3
        case char = 4
    }

    /// One vocabulary entry (`ModelProto.SentencePiece`). Its id is its index in `pieces`.
    public struct Piece: Sendable, Equatable {
        // Present fields; nil means absent from the file (proto2 presence).
        var storedBytes: [UInt8]?
        var storedScoreBits: UInt32?
        var storedType: Int32?
        /// Fields this version does not know, kept verbatim (key and value bytes).
        public var unknownFields: [UInt8] = []

        public init(_ piece: String, score: Float = 0, type: PieceType = .normal) {
            storedBytes = Array(piece.utf8)
            storedScoreBits = score.bitPattern
            if type != .normal { storedType = type.rawValue }
        }

        public init(bytes: [UInt8], score: Float = 0, type: PieceType = .normal) {
            storedBytes = bytes
            storedScoreBits = score.bitPattern
            if type != .normal { storedType = type.rawValue }
        }

        init() {}

        /// The piece's UTF-8 bytes as stored (a file may hold any bytes).
        public var bytes: [UInt8] {
            get { storedBytes ?? [] }
            set { storedBytes = newValue }
        }

        /// The piece as text ("▁the", "<0x0A>", "<unk>").
        public var piece: String {
            get { String(decoding: bytes, as: UTF8.self) }
            set { storedBytes = Array(newValue.utf8) }
        }

        public var score: Float {
            get { Float(bitPattern: storedScoreBits ?? 0) }
            set { storedScoreBits = newValue.bitPattern }
        }

        public var type: PieceType {
            get { storedType.flatMap(PieceType.init(rawValue:)) ?? .normal }
            set { storedType = newValue.rawValue }
        }
    }

    /// The vocabulary; a piece's id is its index.
    public var pieces: [Piece]
    var storedTrainerSpec: TrainerSpec?
    var storedNormalizerSpec: NormalizerSpec?
    /// The optional `denormalizer_spec` (applied to decoded text when it has a charsmap).
    public var denormalizerSpec: NormalizerSpec?
    /// Fields of `ModelProto` this version does not know (extensions, `self_test_data`), verbatim.
    public var unknownFields: [UInt8] = []
    /// Byte offset of each piece's message in the file it was read from (for error messages).
    var pieceOffsets: [Int] = []

    /// A model from its parts, e.g. a trainer's result.
    public init(pieces: [Piece], trainerSpec: TrainerSpec, normalizerSpec: NormalizerSpec,
                denormalizerSpec: NormalizerSpec? = nil) {
        self.pieces = pieces
        storedTrainerSpec = trainerSpec
        storedNormalizerSpec = normalizerSpec
        self.denormalizerSpec = denormalizerSpec
    }

    public var trainerSpec: TrainerSpec {
        get { storedTrainerSpec ?? TrainerSpec() }
        set { storedTrainerSpec = newValue }
    }

    public var normalizerSpec: NormalizerSpec {
        get { storedNormalizerSpec ?? NormalizerSpec() }
        set { storedNormalizerSpec = newValue }
    }

    /// Equal vocabularies and specs (where in a file the pieces were found does not count).
    public static func == (a: SentencePieceModel, b: SentencePieceModel) -> Bool {
        a.pieces == b.pieces && a.storedTrainerSpec == b.storedTrainerSpec
            && a.storedNormalizerSpec == b.storedNormalizerSpec
            && a.denormalizerSpec == b.denormalizerSpec && a.unknownFields == b.unknownFields
    }
}

// MARK: - Specs

extension SentencePieceModel {
    /// The scalar kinds of spec fields, as they sit on the wire.
    enum SpecFieldKind: Sendable {
        case int32, uint64, bool, float, string, bytes, repeatedString
        /// An enum field: values outside `valid` are kept as unknown fields, as proto2 parsers do.
        case enumeration(valid: [Int32])
    }

    /// A present field's value: varint kinds hold their canonical 64-bit form (int32 and enums
    /// sign-extended, bools 0/1), floats their bit pattern (so NaN equals itself).
    enum SpecValue: Sendable, Equatable {
        case varint(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])
        case list([[UInt8]])
    }

    /// What TrainerSpec and NormalizerSpec share: a field table, present values, unknown bytes.
    protocol SpecMessage: Sendable {
        static var schema: [Int: SpecFieldKind] { get }
        var values: [Int: SpecValue] { get set }
        var unknownFields: [UInt8] { get set }
    }
}

extension SentencePieceModel.SpecMessage {
    func int32(_ field: Int, _ fallback: Int32) -> Int32 {
        if case .varint(let v)? = values[field] { return Int32(truncatingIfNeeded: v) }
        return fallback
    }
    mutating func setInt32(_ field: Int, _ value: Int32) {
        values[field] = .varint(UInt64(bitPattern: Int64(value)))
    }
    func uint64(_ field: Int, _ fallback: UInt64) -> UInt64 {
        if case .varint(let v)? = values[field] { return v }
        return fallback
    }
    mutating func setUInt64(_ field: Int, _ value: UInt64) { values[field] = .varint(value) }
    func bool(_ field: Int, _ fallback: Bool) -> Bool {
        if case .varint(let v)? = values[field] { return v != 0 }
        return fallback
    }
    mutating func setBool(_ field: Int, _ value: Bool) { values[field] = .varint(value ? 1 : 0) }
    func float(_ field: Int, _ fallback: Float) -> Float {
        if case .fixed32(let bits)? = values[field] { return Float(bitPattern: bits) }
        return fallback
    }
    mutating func setFloat(_ field: Int, _ value: Float) { values[field] = .fixed32(value.bitPattern) }
    func bytes(_ field: Int) -> [UInt8] {
        if case .bytes(let b)? = values[field] { return b }
        return []
    }
    func string(_ field: Int, _ fallback: String) -> String {
        if case .bytes(let b)? = values[field] { return String(decoding: b, as: UTF8.self) }
        return fallback
    }
    mutating func setBytes(_ field: Int, _ value: [UInt8]) { values[field] = .bytes(value) }
    mutating func setString(_ field: Int, _ value: String) { values[field] = .bytes(Array(value.utf8)) }
    func strings(_ field: Int) -> [String] {
        if case .list(let l)? = values[field] { return l.map { String(decoding: $0, as: UTF8.self) } }
        return []
    }
    mutating func setStrings(_ field: Int, _ value: [String]) {
        values[field] = value.isEmpty ? nil : .list(value.map { Array($0.utf8) })
    }

    /// Whether field `number` was present in the file or has been set.
    func has(field number: Int) -> Bool { values[number] != nil }

    /// Reads the fields in `reader`'s range into `self` (merging, as protobuf does when a
    /// message occurs twice: scalars are replaced, repeated fields appended).
    mutating func merge(from reader: inout ProtobufReader) throws(ProtobufWireError) {
        while !reader.isAtEnd {
            let keyStart = reader.position
            let (field, wireType) = try reader.readTag()
            guard let kind = Self.schema[field], kind.wireType == wireType else {
                try reader.skipValue(field: field, wireType: wireType)
                unknownFields.append(contentsOf: reader.data[keyStart..<reader.position])
                continue
            }
            switch kind {
            case .int32:
                values[field] = .varint(UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: try reader.readVarint()))))
            case .uint64:
                values[field] = .varint(try reader.readVarint())
            case .bool:
                values[field] = .varint(try reader.readVarint() != 0 ? 1 : 0)
            case .enumeration(let valid):
                let value = Int32(truncatingIfNeeded: try reader.readVarint())
                if valid.contains(value) {
                    values[field] = .varint(UInt64(bitPattern: Int64(value)))
                } else {
                    unknownFields.append(contentsOf: reader.data[keyStart..<reader.position])
                }
            case .float:
                values[field] = .fixed32(try reader.readFixed32())
            case .string, .bytes:
                values[field] = .bytes(Array(reader.data[try reader.readLengthDelimited()]))
            case .repeatedString:
                let item = Array(reader.data[try reader.readLengthDelimited()])
                if case .list(var list)? = values[field] {
                    list.append(item)
                    values[field] = .list(list)
                } else {
                    values[field] = .list([item])
                }
            }
        }
    }

    /// The message body (fields in number order, then unknown fields).
    func serializedBody() -> [UInt8] {
        var writer = ProtobufWriter()
        for field in values.keys.sorted() {
            switch values[field]! {
            case .varint(let v): writer.writeVarintField(field, v)
            case .fixed32(let bits): writer.writeFixed32Field(field, bits)
            case .bytes(let b): writer.writeBytesField(field, b)
            case .list(let items): for item in items { writer.writeBytesField(field, item) }
            }
        }
        writer.writeRaw(unknownFields)
        return writer.bytes
    }
}

extension SentencePieceModel.SpecFieldKind {
    var wireType: ProtobufWireType {
        switch self {
        case .int32, .uint64, .bool, .enumeration: .varint
        case .float: .fixed32
        case .string, .bytes, .repeatedString: .lengthDelimited
        }
    }
}

extension SentencePieceModel {
    /// `TrainerSpec`: how the model was (or is to be) trained. The encoder reads `modelType`,
    /// `byteFallback`, `treatWhitespaceAsSuffix`, `unkSurface` and the special pieces; the rest is
    /// carried along for trainers and for writing the file back.
    ///
    /// Properties return the proto defaults when a field is absent; setting one makes it present.
    public struct TrainerSpec: SpecMessage, Equatable {
        var values: [Int: SpecValue] = [:]
        /// Fields this version does not know, kept verbatim (key and value bytes).
        public var unknownFields: [UInt8] = []

        public init() {}

        static let schema: [Int: SpecFieldKind] = [
            1: .repeatedString, 2: .string, 3: .enumeration(valid: [1, 2, 3, 4]), 4: .int32,
            5: .repeatedString, 6: .int32, 7: .string, 10: .float, 11: .uint64, 12: .int32, 13: .int32,
            14: .int32, 15: .float, 16: .int32, 17: .int32, 18: .int32, 19: .bool, 20: .int32,
            21: .bool, 22: .bool, 23: .bool, 24: .bool, 25: .bool, 26: .bool, 30: .repeatedString,
            31: .repeatedString, 32: .bool, 33: .bool, 34: .bool, 35: .bool, 36: .string, 40: .int32,
            41: .int32, 42: .int32, 43: .int32, 44: .string, 45: .string, 46: .string, 47: .string,
            48: .string, 49: .bool, 50: .bool, 51: .float, 52: .uint64, 53: .string, 54: .string,
            55: .bool,
        ]

        // Field numbers and defaults from sentencepiece_model.proto (sentencepiece 0.2.3).
        public var input: [String] { get { strings(1) } set { setStrings(1, newValue) } }
        public var inputFormat: String { get { string(7, "") } set { setString(7, newValue) } }
        public var modelPrefix: String { get { string(2, "") } set { setString(2, newValue) } }
        public var modelType: SentencePieceModel.ModelType {
            get { SentencePieceModel.ModelType(rawValue: int32(3, 1)) ?? .unigram }
            set { setInt32(3, newValue.rawValue) }
        }
        public var vocabSize: Int32 { get { int32(4, 8000) } set { setInt32(4, newValue) } }
        public var acceptLanguage: [String] { get { strings(5) } set { setStrings(5, newValue) } }
        public var selfTestSampleSize: Int32 { get { int32(6, 0) } set { setInt32(6, newValue) } }
        public var characterCoverage: Float { get { float(10, 0.9995) } set { setFloat(10, newValue) } }
        public var inputSentenceSize: UInt64 { get { uint64(11, 0) } set { setUInt64(11, newValue) } }
        public var shuffleInputSentence: Bool { get { bool(19, true) } set { setBool(19, newValue) } }
        public var miningSentenceSize: Int32 { get { int32(12, 0) } set { setInt32(12, newValue) } }
        public var trainingSentenceSize: Int32 { get { int32(13, 0) } set { setInt32(13, newValue) } }
        public var seedSentencepieceSize: Int32 { get { int32(14, 1_000_000) } set { setInt32(14, newValue) } }
        public var shrinkingFactor: Float { get { float(15, 0.75) } set { setFloat(15, newValue) } }
        public var maxSentenceLength: Int32 { get { int32(18, 4192) } set { setInt32(18, newValue) } }
        public var numThreads: Int32 { get { int32(16, 16) } set { setInt32(16, newValue) } }
        public var numSubIterations: Int32 { get { int32(17, 2) } set { setInt32(17, newValue) } }
        public var maxSentencepieceLength: Int32 { get { int32(20, 16) } set { setInt32(20, newValue) } }
        public var splitByUnicodeScript: Bool { get { bool(21, true) } set { setBool(21, newValue) } }
        public var splitByNumber: Bool { get { bool(23, true) } set { setBool(23, newValue) } }
        public var splitByWhitespace: Bool { get { bool(22, true) } set { setBool(22, newValue) } }
        public var treatWhitespaceAsSuffix: Bool { get { bool(24, false) } set { setBool(24, newValue) } }
        public var allowWhitespaceOnlyPieces: Bool { get { bool(26, false) } set { setBool(26, newValue) } }
        public var splitDigits: Bool { get { bool(25, false) } set { setBool(25, newValue) } }
        public var pretokenizationDelimiter: String { get { string(53, "") } set { setString(53, newValue) } }
        public var controlSymbols: [String] { get { strings(30) } set { setStrings(30, newValue) } }
        public var userDefinedSymbols: [String] { get { strings(31) } set { setStrings(31, newValue) } }
        public var requiredChars: String { get { string(36, "") } set { setString(36, newValue) } }
        public var byteFallback: Bool { get { bool(35, false) } set { setBool(35, newValue) } }
        public var vocabularyOutputPieceScore: Bool { get { bool(32, true) } set { setBool(32, newValue) } }
        public var hardVocabLimit: Bool { get { bool(33, true) } set { setBool(33, newValue) } }
        public var useAllVocab: Bool { get { bool(34, false) } set { setBool(34, newValue) } }
        public var unkID: Int32 { get { int32(40, 0) } set { setInt32(40, newValue) } }
        public var bosID: Int32 { get { int32(41, 1) } set { setInt32(41, newValue) } }
        public var eosID: Int32 { get { int32(42, 2) } set { setInt32(42, newValue) } }
        public var padID: Int32 { get { int32(43, -1) } set { setInt32(43, newValue) } }
        public var unkPiece: String { get { string(45, "<unk>") } set { setString(45, newValue) } }
        public var bosPiece: String { get { string(46, "<s>") } set { setString(46, newValue) } }
        public var eosPiece: String { get { string(47, "</s>") } set { setString(47, newValue) } }
        public var padPiece: String { get { string(48, "<pad>") } set { setString(48, newValue) } }
        /// What decoding prints for `<unk>` (default " ⁇ ", U+2047 between spaces).
        public var unkSurface: String { get { string(44, " \u{2047} ") } set { setString(44, newValue) } }
        var unkSurfaceBytes: [UInt8] { has(field: 44) ? bytes(44) : Array(" \u{2047} ".utf8) }
        public var trainExtremelyLargeCorpus: Bool { get { bool(49, false) } set { setBool(49, newValue) } }
        public var seedSentencepiecesFile: String { get { string(54, "") } set { setString(54, newValue) } }
        public var enableDifferentialPrivacy: Bool { get { bool(50, false) } set { setBool(50, newValue) } }
        public var differentialPrivacyNoiseLevel: Float { get { float(51, 0) } set { setFloat(51, newValue) } }
        public var differentialPrivacyClippingThreshold: UInt64 {
            get { uint64(52, 0) } set { setUInt64(52, newValue) }
        }
        public var autoCharacterCoverage: Bool { get { bool(55, false) } set { setBool(55, newValue) } }
    }

    /// `NormalizerSpec`: the text normalization applied before (and, as a denormalizer, after)
    /// segmentation. Properties return the proto defaults when a field is absent.
    public struct NormalizerSpec: SpecMessage, Equatable {
        var values: [Int: SpecValue] = [:]
        /// Fields this version does not know, kept verbatim (key and value bytes).
        public var unknownFields: [UInt8] = []

        public init() {}

        static let schema: [Int: SpecFieldKind] = [
            1: .string, 2: .bytes, 3: .bool, 4: .bool, 5: .bool, 6: .string,
        ]

        /// The rule set's name ("identity", "nmt_nfkc", "nfkc_cf", ...). Informational: encoding uses
        /// only `precompiledCharsmap`.
        public var name: String { get { string(1, "") } set { setString(1, newValue) } }
        /// The compiled rules: a little-endian u32 trie size, a Darts-clone double array, then the
        /// NUL-terminated replacement strings. Empty means no character mapping (identity).
        public var precompiledCharsmap: [UInt8] { get { bytes(2) } set { setBytes(2, newValue) } }
        /// Adds "▁" in front of the text (behind it with `treat_whitespace_as_suffix`).
        public var addDummyPrefix: Bool { get { bool(3, true) } set { setBool(3, newValue) } }
        /// Drops leading and trailing whitespace and squeezes runs of spaces into one.
        public var removeExtraWhitespaces: Bool { get { bool(4, true) } set { setBool(4, newValue) } }
        /// Writes spaces as "▁" (U+2581).
        public var escapeWhitespaces: Bool { get { bool(5, true) } set { setBool(5, newValue) } }
        /// The TSV the charsmap was compiled from (training-time only).
        public var normalizationRuleTSV: String { get { string(6, "") } set { setString(6, newValue) } }
    }
}

// MARK: - Reading and writing

extension SentencePieceModel.Piece {
    mutating func merge(from reader: inout ProtobufReader) throws(ProtobufWireError) {
        while !reader.isAtEnd {
            let keyStart = reader.position
            let (field, wireType) = try reader.readTag()
            switch (field, wireType) {
            case (1, .lengthDelimited):
                storedBytes = Array(reader.data[try reader.readLengthDelimited()])
            case (2, .fixed32):
                storedScoreBits = try reader.readFixed32()
            case (3, .varint):
                let value = Int32(truncatingIfNeeded: try reader.readVarint())
                if SentencePieceModel.PieceType(rawValue: value) != nil {
                    storedType = value
                } else {
                    // An enum value this schema does not know: proto2 keeps it as unknown data
                    // and the field reads as its default (NORMAL).
                    unknownFields.append(contentsOf: reader.data[keyStart..<reader.position])
                }
            default:
                try reader.skipValue(field: field, wireType: wireType)
                unknownFields.append(contentsOf: reader.data[keyStart..<reader.position])
            }
        }
    }

    /// Appends this piece as field 1 of a ModelProto (its size is computed first, so no
    /// temporary buffer is needed).
    func write(to writer: inout ProtobufWriter) {
        func varintSize(_ v: UInt64) -> Int { v < 0x80 ? 1 : 1 + varintSize(v >> 7) }
        var size = unknownFields.count
        if let storedBytes { size += 1 + varintSize(UInt64(storedBytes.count)) + storedBytes.count }
        if storedScoreBits != nil { size += 5 }
        if let storedType { size += 1 + varintSize(UInt64(bitPattern: Int64(storedType))) }
        writer.writeTag(1, .lengthDelimited)
        writer.writeVarint(UInt64(size))
        if let storedBytes { writer.writeBytesField(1, storedBytes) }
        if let storedScoreBits { writer.writeFixed32Field(2, storedScoreBits) }
        if let storedType { writer.writeInt32Field(3, storedType) }
        writer.writeRaw(unknownFields)
    }
}

extension SentencePieceModel {
    /// Parses a serialized `ModelProto`. `file` names the source in errors.
    public init(serialized data: [UInt8], file: String = "<memory>") throws(TokenizerError) {
        pieces = []
        do {
            var reader = ProtobufReader(data)
            while !reader.isAtEnd {
                let keyStart = reader.position
                let (field, wireType) = try reader.readTag()
                switch (field, wireType) {
                case (1, .lengthDelimited):
                    var sub = ProtobufReader(data, range: try reader.readLengthDelimited())
                    var piece = Piece()
                    try piece.merge(from: &sub)
                    pieces.append(piece)
                    pieceOffsets.append(keyStart)
                case (2, .lengthDelimited):
                    var sub = ProtobufReader(data, range: try reader.readLengthDelimited())
                    var spec = storedTrainerSpec ?? TrainerSpec()
                    try spec.merge(from: &sub)
                    storedTrainerSpec = spec
                case (3, .lengthDelimited):
                    var sub = ProtobufReader(data, range: try reader.readLengthDelimited())
                    var spec = storedNormalizerSpec ?? NormalizerSpec()
                    try spec.merge(from: &sub)
                    storedNormalizerSpec = spec
                case (5, .lengthDelimited):
                    var sub = ProtobufReader(data, range: try reader.readLengthDelimited())
                    var spec = denormalizerSpec ?? NormalizerSpec()
                    try spec.merge(from: &sub)
                    denormalizerSpec = spec
                default:
                    try reader.skipValue(field: field, wireType: wireType)
                    unknownFields.append(contentsOf: data[keyStart..<reader.position])
                }
            }
        } catch {
            throw TokenizerError(file: file, offset: error.offset,
                                 message: "not a valid SentencePiece model: \(error.message)")
        }
    }

    /// Reads a `.model` file.
    public init(contentsOf path: String) throws(TokenizerError) {
        try self.init(serialized: try Self.readFile(path), file: path)
    }

    /// The model in protobuf wire format, loadable by sentencepiece (`SentencePieceProcessor
    /// (model_file=...)`) and by `init(serialized:)`.
    public func serialized() -> [UInt8] {
        var writer = ProtobufWriter(reservingCapacity: pieces.count * 24 + 1024)
        for piece in pieces { piece.write(to: &writer) }
        if let storedTrainerSpec { writer.writeBytesField(2, storedTrainerSpec.serializedBody()) }
        if let storedNormalizerSpec { writer.writeBytesField(3, storedNormalizerSpec.serializedBody()) }
        if let denormalizerSpec { writer.writeBytesField(5, denormalizerSpec.serializedBody()) }
        writer.writeRaw(unknownFields)
        return writer.bytes
    }

    /// Writes `serialized()` to `path` (under a temporary name, renamed into place when whole).
    public func write(toFile path: String) throws(TokenizerError) {
        do {
            try OutputFile.write(serialized(), to: path, codec: .plain)
        } catch {
            throw TokenizerError(file: path, message: "cannot write the model: \(error)")
        }
    }
}

extension SentencePieceModel {
    /// The bytes of a (small) file, with errors naming it.
    static func readFile(_ path: String) throws(TokenizerError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TokenizerError(file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw TokenizerError(file: path, message: "is a directory")
        }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TokenizerError(file: path, offset: bytes.count,
                                     message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: block[0..<n])
        }
        return bytes
    }
}
