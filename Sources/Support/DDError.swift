/// The one error type every layer throws for bad input or a failed operation.
///
/// `message` is a single line a person can act on: what was wrong, where (file, field, rank) and the fix.
/// `exitCode` is 2 for command-line usage errors and 1 for everything else.
public struct DDError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        // Keep the promise of one line even when a message embeds text from a file.
        self.message = String(message.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        self.exitCode = exitCode
    }

    /// A command-line usage error (unknown subcommand or flag, missing value): exit code 2.
    public static func usage(_ message: String) -> DDError { DDError(message, exitCode: 2) }

    /// A configuration error naming the key path and the fix.
    public static func config(_ path: String, _ problem: String, fix: String) -> DDError {
        DDError("config error at '\(path)': \(problem) (fix: \(fix))")
    }

    /// A file error naming the file, and optionally the offset or line, what was found and what was expected.
    public static func file(_ path: String, _ problem: String, fix: String? = nil) -> DDError {
        DDError("\(path): \(problem)" + (fix.map { " (fix: \($0))" } ?? ""))
    }

    public var description: String { message }
}
