import Support
#if canImport(Glibc)
import Glibc
#endif

/// Threads per rank from the job's layout: `launch/run --threads T` and `launch/slurm.sbatch` (from
/// `--cpus-per-task`) export `DDTRAIN_THREADS=T` to every rank, binding each rank to T cores.
///
/// Precedence: the layout wins. When DDTRAIN_THREADS is set, train.threads takes its value over the config file
/// and `--set`, since more threads than bound cores only contend and fewer leave cores idle; when the config
/// names another value, one warning line says which value is used. Unset, the config's value stands.
public enum LayoutThreads {
    /// The environment variable the launchers set.
    public static let variable = "DDTRAIN_THREADS"

    /// DDTRAIN_THREADS as this process sees it (nil when unset or empty).
    public static var environmentValue: String? {
        guard let raw = getenv(variable) else { return nil }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }

    /// The threads `text` names (1…256), or a usage error naming the variable and the fix.
    public static func parse(_ text: String) throws -> Int {
        guard let n = Int(text), (1...256).contains(n) else {
            throw DDError.usage("\(variable)=\(text): expected a number of threads per rank from 1 to 256 "
                                + "(fix: launch/run --threads 1…256 sets it; or unset it)")
        }
        return n
    }

    /// `config` with train.threads set from `value` (DDTRAIN_THREADS) when there is one, and the warning line
    /// when the config named a different train.threads.
    public static func apply(to config: JSON, value: String?) throws -> (config: JSON, warning: String?) {
        guard let value else { return (config, nil) }
        let threads = try parse(value)
        var warning: String?
        if let named = config["train"]?["threads"], named.intValue != threads {
            warning = "train.threads is \(named.compact) in the config (file or --set), but the launch layout binds each rank to "
                + "\(threads) core(s) (\(variable)=\(threads), from launch/run --threads or SLURM's --cpus-per-task); using \(threads)"
        }
        return (try ConfigOverrides.apply("train.threads=\(threads)", to: config), warning)
    }
}
