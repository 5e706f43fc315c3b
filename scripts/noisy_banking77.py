"""Write a typo-noised copy of BANKING77 test.csv for the robustness benchmark (seed fixed).

    .venv/bin/python scripts/noisy_banking77.py [--csv PATH] [--out PATH]

Each message is lower-cased and stripped of punctuation; then each word of four or
more letters gets, with probability TYPO_RATE, one common misspelling (from MISSPELLINGS)
or else one keyboard slip (two letters swapped, one dropped or one doubled); a fifth of
messages get an emoji at the end. Evaluation data only: it never reaches training.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.nlu.report.datasets import DATASETS

ROOT = Path(__file__).resolve().parent.parent

SEED = 77
TYPO_RATE = 0.12
EMOJI_RATE = 0.2
EMOJI = ("🙏", "😡", "🤔", "😊", "💳", "👍", "😭")
MISSPELLINGS = {
    "receive": "recieve", "received": "recieved", "account": "acount", "transfer": "tranfer",
    "balance": "balence", "payment": "payemnt", "cancel": "cancle", "exchange": "exhange",
    "withdrawal": "withdrawl", "separate": "seperate", "currency": "currancy",
    "charged": "chargd", "identity": "identiy", "verify": "verfy", "arrived": "arived",
    "because": "becuase", "money": "mony", "which": "wich", "their": "thier",
}  # fmt: skip
_PUNCT = re.compile(r"[^\w\s]")


def slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[: i + 1] + word[i] + word[i + 1 :]


def noisy(text: str, rng: random.Random) -> str:
    words = _PUNCT.sub(" ", text.lower()).split()
    for i, word in enumerate(words):
        if len(word) >= 4 and word.isalpha() and rng.random() < TYPO_RATE:
            words[i] = MISSPELLINGS.get(word) or slip(word, rng)
    if rng.random() < EMOJI_RATE:
        words.append(rng.choice(EMOJI))
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DATASETS / "banking77/test.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/data/banking77_test_noisy.csv")
    args = parser.parse_args()
    rng = random.Random(SEED)
    with args.csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows({"text": noisy(r["text"], rng), "category": r["category"]} for r in rows)
    print(f"wrote {args.out} ({len(rows)} messages)")


if __name__ == "__main__":
    main()
