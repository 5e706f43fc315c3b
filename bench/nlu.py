"""NLU benchmark: train on nlu_data/, score the held-out file, time parses of a loaded model.

    .venv/bin/python bench/nlu.py [--data nlu_data] [--heldout tests/nlu/data/heldout.yml]

Prints accuracy, macro-F1, entity F1, training seconds and parse p50/p99. Each data set
is a `Benchmark` entry in BENCHMARKS, so another (e.g. BANKING77) is one more entry and flag.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import PROJECT_ROOT, load_settings
from bot.nlu.evaluate import evaluate, format_evaluation
from bot.nlu.model import NluModel
from bot.nlu.training_data import load_training_data

PARSES = 1000


@dataclass(frozen=True, slots=True)
class Benchmark:
    train: Path
    test: Path


BENCHMARKS = {
    "teller": Benchmark(PROJECT_ROOT / "nlu_data", PROJECT_ROOT / "tests/nlu/data/heldout.yml"),
}


def run(bench: Benchmark, today: date) -> None:
    threshold = load_settings().nlu.fallback_threshold
    data = load_training_data(bench.train)
    started = time.perf_counter()
    trained = NluModel.train(data, threshold)
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:  # time the model as a server loads it
        trained.save(tmp)
        model = NluModel.load(tmp, threshold)
    examples = load_training_data(bench.test).examples
    result = evaluate(model, examples, today)

    texts = [e.text for e in examples]
    timings = []
    for i in range(max(PARSES, len(texts))):
        t0 = time.perf_counter()
        model.parse(texts[i % len(texts)], today)
        timings.append((time.perf_counter() - t0) * 1000)
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"train data    {bench.train} ({len(data.examples)} examples, {len(data.intents)} intents)"
    )
    print(f"test data     {bench.test}")
    print(format_evaluation(result))
    print(f"train seconds {train_seconds:.2f}")
    p50, p99 = statistics.median(timings), cuts[98]
    print(f"parse ms      p50 {p50:.3f}  p99 {p99:.3f}  ({len(timings)} parses, model loaded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="training data (default: nlu_data/)")
    parser.add_argument("--heldout", type=Path, help="annotated test file")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    default = BENCHMARKS["teller"]
    run(Benchmark(args.data or default.train, args.heldout or default.test), args.today)


if __name__ == "__main__":
    main()
