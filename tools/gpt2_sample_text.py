#!/usr/bin/env python3
"""Writes assets/gpt2/golden/sample.txt: the test text for the GPT-2 tokenizer golden file.

The text is built here (not typed into an editor) so that every special character is explicit:
Unicode letters with accents and combining marks, CJK, emoji (ZWJ sequences, skin tones, flags),
whitespace runs of every kind, digits of several scripts, punctuation and contractions.
"""
import os
import sys

PARTS = [
    "Hello world! GPT-2 tokenizes text like this.\n",
    # Contractions: lowercase are split off, uppercase and curly apostrophes are not special-cased.
    "It's, don't, we're, they've, I'm, you'll, he'd. IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D.\n",
    "Rock'n'roll, 'tis, 'twas, ''s, '''d, o'clock, rock’s (curly), ’twas\n",
    # Whitespace runs: several spaces, tabs, newlines, CRLF, trailing spaces before newline.
    "two  spaces,   three spaces,\ttab,\t\ttwo tabs, \t mixed\n\n\nthree newlines\r\nCRLF   \n  indented\n",
    "    four leading spaces\n\t\tleading tabs\n \n  \n",
    # Exotic whitespace: NBSP, ideographic space, line separator, em space, form feed, vertical tab.
    "nbsp\u00a0here, ideographic\u3000space, line\u2028sep, em\u2003space, ff\x0cvt\x0bend\n",
    # Digits: runs, decimals, Arabic-Indic, superscripts, fractions, Roman numerals (Nl), full-width.
    "1 22 333 4444 55555 3.14159 1,000,000 2024-06-01 0x1F ٣٤٥ ²³ ½ ¾ Ⅻ ⅷ １２３ 12abc abc12\n",
    # Accents (precomposed) and combining marks (decomposed); Greek, Cyrillic, Hebrew, Arabic, Devanagari.
    "café naïve résumé Zürich Ångström Dvořák; cafe\u0301 nai\u0308ve e\u0301\u0301 a\u030a\n",
    "Ελληνικά κείμενο, русский текст, עברית, العربية, हिन्दी भाषा, ภาษาไทย\n",
    # CJK, Japanese kana, Korean hangul.
    "中文文本没有空格。日本語のテキスト、カタカナ。한국어 텍스트입니다.\n",
    # Emoji: simple, skin tone modifiers, ZWJ family, flags, keycap.
    "emoji 😀 😂👍 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 1️⃣ ❤️ end\n",
    # Punctuation runs, brackets, code, URLs, e-mail.
    "Punctuation!!! ??? ... --- (a) [b] {c} <d> \"quoted\" «guillemets» — dash – en\n",
    "def f(x): return x**2 + 1  # comment\nif (a && b || !c) { y = a->b; }\n",
    "https://example.com/path?q=1&r=two#frag user@example.org $100 €50 £20 ¥3 100%\n",
    # The end-of-text marker is plain text to the encoder; the last merge of vocab.bpe makes ' gazed'.
    "<|endoftext|> is plain text here. She gazed at the stars. Gazed, gazed.\n",
    # Long words and repeated characters exercise many merges.
    "Supercalifragilisticexpialidocious antidisestablishmentarianism aaaaaaaaaaaaaaaaaaaaaaa\n",
    "============================================ ********** __init__ ____\n",
    # Ends with trailing whitespace and no final newline after it.
    "trailing spaces   ",
]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "assets", "gpt2", "golden", "sample.txt")
    with open(out, "wb") as f:
        f.write("".join(PARTS).encode("utf-8"))
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
