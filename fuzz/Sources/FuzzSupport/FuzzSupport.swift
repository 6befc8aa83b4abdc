import CFuzzDriver
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the fuzz targets.
public enum Fuzz {
    /// Runs `body` on one input and turns a broken error contract into a crash libFuzzer records: every failure
    /// must be a `DDError` whose message is one non-empty line that says how to fix it.
    public static func expectCleanFailure(_ body: () throws -> Void) {
        do {
            try body()
        } catch let e as DDError {
            if e.message.isEmpty || e.message.contains("\n") || !e.message.contains("(fix: ") {
                fatalError("error message breaks the one-line contract: \(e.message)")
            }
        } catch {
            fatalError("a non-DDError escaped: \(error)")
        }
    }

    /// Runs libFuzzer's driver with `callback` (each target's `<Target>_main` calls this).
    public static func runDriver(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
        var c = argc
        var v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&c, &v, callback)
    }

    /// Writes `data` to a per-process scratch file named `name` in /dev/shm (or /tmp) and returns its path;
    /// the readers under test take paths and memory-map them.
    public static func scratchFile(_ name: String, _ data: UnsafeRawBufferPointer) -> String {
        let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(dir)/ddtrain-fuzz-\(getpid())-\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < data.count {
            let n = write(fd, data.baseAddress! + done, data.count - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}
