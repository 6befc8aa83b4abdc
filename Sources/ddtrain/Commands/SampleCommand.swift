import Comm
import Corpus
import Kernels
import Interop
import Support
import Trainer

/// `ddtrain sample`: text from a checkpoint, greedy or with temperature.
let sampleCommand = Command(
    name: "sample", summary: "generate text from a checkpoint (greedy or temperature sampling)",
    help: """
    usage: ddtrain sample --checkpoint PATH [--prompt TEXT] [--tokens N] [--temperature T] [--seed S] [--json]

    Encodes the prompt with the run's tokenizer (byte or GPT-2, from the run's config.json next to the
    checkpoints folder), then appends N tokens one at a time: the most likely one with --temperature 0, else a
    draw from softmax(logits / T) with a generator seeded by --seed (same seed, same text). An empty prompt
    starts from the end-of-text token, i.e. at the start of a document; past the longest length the run
    trained on, only the most recent tokens are kept. Prints the prompt and its continuation on lines labelled
    "prompt:" and "continuation:".
      --checkpoint PATH     a checkpoint written by ddtrain train, or a run folder (its newest checkpoint that verifies)
      --prompt TEXT         text to continue (default: empty)
      --tokens N            tokens to generate (default 64)
      --temperature T       0 = greedy (default 0.8)
      --seed S              seed of the draws (default 1)
      --tokenizer-dir DIR   folder of GPT-2's encoder.json and vocab.bpe (default: the run config's tokenizer_dir)
      --json                one JSON object: prompt and generated ids, text, settings
    """,
    options: ["checkpoint": true, "prompt": true, "tokens": true, "temperature": true, "seed": true, "tokenizer-dir": true, "json": false]
) { args in
    Matmul.setThreads(1)
    let context = try CheckpointContext(checkpoint: try args.required("checkpoint", command: "sample"))
    let count = try args.int("tokens", default: 64, command: "sample")
    guard count >= 0 else { throw DDError.usage("ddtrain sample: --tokens \(count) must be >= 0") }
    let seed = try args.int("seed", default: 1, command: "sample")
    let temperatureText = args.value("temperature") ?? "0.8"
    guard let temperature = Double(temperatureText) else {
        throw DDError.usage("ddtrain sample: --temperature expects a number, got '\(temperatureText)'")
    }
    let (info, directory) = try context.tokenizer(directoryOverride: args.value("tokenizer-dir"))
    let tokenizer = try TokenizerInfo.load(info.name, directory: directory)
    let text = args.value("prompt") ?? ""
    let encoded = tokenizer.encode(text)
    let prompt = encoded.isEmpty ? [tokenizer.endOfText] : encoded
    // The context slides once it passes the longest length the run trained on.
    let model = try context.loadModel(maxTokens: max(1, min(prompt.count + count, context.longestTrainedLength)))
    var sampler = try Sampler(model: model, temperature: temperature, seed: UInt64(truncatingIfNeeded: seed))
    let ids = try sampler.generate(prompt: prompt, count: count)
    let continuation = tokenizer.decode(ids)
    // Under mpirun every rank samples the same text; only rank 0 prints it.
    guard try World.communicator().rank == 0 else { return 0 }
    if args.flag("json") {
        print(JSON.obj(["prompt": .string(text), "prompt_ids": .ints(prompt), "ids": .ints(ids), "text": .string(continuation),
                        "temperature": .number(temperature), "seed": .int(seed), "tokenizer": .string(info.name)]).compact)
    } else {
        // Labelled, so where the prompt ends and the model's text begins is plain to see.
        print("prompt:       " + text)
        print("continuation: " + continuation)
    }
    return 0
}
