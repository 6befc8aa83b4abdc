import Support
import Trainer

/// `ddtrain config`: every key a training config accepts (docs/config.md is its Markdown output).
let configCommand = Command(
    name: "config", summary: "list every training-config key: section, type, default, meaning (docs/config.md)",
    help: """
    usage: ddtrain config [--markdown]

    Lists every key of a training config, section by section, with its type, default and meaning.
      --markdown   print the reference as Markdown (the text of docs/config.md)
    """,
    options: ["markdown": false]
) { args in
    if args.flag("markdown") {
        print(ConfigReference.markdown(), terminator: "")
        return 0
    }
    for section in ConfigReference.sections {
        print(section.isEmpty ? "(top level)" : section)
        for k in ConfigReference.keys where k.section == section {
            print("  " + k.key.padded(28) + " " + k.type.padded(34) + " "
                  + k.defaultText.padded(14) + " " + k.meaning)
        }
    }
    return 0
}
