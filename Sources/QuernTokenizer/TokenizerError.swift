/// A tokenizer file that cannot be used: names the file, where in it, and what is wrong.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    /// Byte offset in the file where the problem was found, when there is one.
    public var offset: Int?
    public var message: String

    public init(file: String, offset: Int? = nil, message: String) {
        self.file = file
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(file): byte offset \(offset): \(message)" }
        return "\(file): \(message)"
    }
}
