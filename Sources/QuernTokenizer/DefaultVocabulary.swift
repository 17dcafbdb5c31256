#if canImport(Glibc)
import Glibc
#endif

/// Where Quern's own vocabulary (`Vocab/quern-32k.model`, trained with LLaMA's recipe) is found
/// when a command is given no `--tokenizer`.
public enum DefaultVocabulary {
    public static let fileName = "quern-32k.model"

    /// `$QUERN_VOCAB` if set, else `Vocab/quern-32k.model` in the current folder or above the
    /// running executable (a build in `.build/<config>/quern` finds the package's own Vocab/).
    public static func path() throws(TokenizerError) -> String {
        var candidates: [String] = []
        if let env = getenv("QUERN_VOCAB").map({ String(cString: $0) }), !env.isEmpty { candidates.append(env) }
        candidates.append("Vocab/" + fileName)
        var folder = executableFolder()
        for _ in 0..<5 {
            guard let current = folder else { break }
            candidates.append(current + "/Vocab/" + fileName)
            candidates.append(current + "/share/quern/" + fileName)
            folder = parent(of: current)
        }
        for candidate in candidates where access(candidate, R_OK) == 0 { return candidate }
        throw TokenizerError(file: fileName, message: "Quern's default vocabulary was not found (looked in "
            + candidates.joined(separator: ", ") + "); pass --tokenizer or set QUERN_VOCAB")
    }

    private static func executableFolder() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return parent(of: String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    private static func parent(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return String(path[..<slash])
    }
}
