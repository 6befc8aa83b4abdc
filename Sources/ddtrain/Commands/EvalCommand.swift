import Comm
import Kernels
import Support
import Trainer

/// `ddtrain eval`: held-out loss of a checkpoint, per layout and by position range.
let evalCommand = Command(
    name: "eval", summary: "held-out loss of a checkpoint per bucket/layout and by position range (works under mpirun)",
    help: """
    usage: ddtrain eval --checkpoint PATH [--data DIR] [--max-sequences N] [--json]

    Loads the checkpoint (its header holds the model config) and evaluates it on the validation split: the mean
    loss per layout the run trained on (or, for another dataset, every layout with held-out data) and, within
    each, by position range (0-64, 64-128, …), the same figures the run's eval records show. Under mpirun the
    shards are split over the ranks and the sums combined.
      --checkpoint PATH   a RUN/checkpoints/checkpoint-*.ddt file, or a run folder (its newest checkpoint that verifies)
      --data DIR          prepared dataset (default: data.dir of the run's config.json)
      --max-sequences N   held-out sequences per layout (default: the run's eval.max_sequences_per_bucket)
      --json              one JSON object on stdout
    """,
    options: ["checkpoint": true, "data": true, "max-sequences": true, "json": false]
) { args in
    let comm = try World.communicator()
    Matmul.setThreads(1)
    let context = try CheckpointContext(checkpoint: try args.required("checkpoint", command: "eval"))
    let limit = args.value("max-sequences") == nil ? nil : try args.int("max-sequences", default: 0, command: "eval")
    if let limit, limit < 1 { throw DDError.usage("ddtrain eval: --max-sequences \(limit) must be at least 1") }
    let record = try CheckpointEvaluation.run(context, dataDirectory: args.value("data"), maxSequencesPerLayout: limit, comm: comm)
    if comm.rank == 0 {
        print(args.flag("json") ? record.compact : CheckpointEvaluation.text(record), terminator: args.flag("json") ? "\n" : "")
    }
    return 0
}
