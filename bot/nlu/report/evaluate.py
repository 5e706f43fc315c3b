"""Scores a model on annotated examples: intent accuracy/macro-F1 and entity P/R/F1.

An entity counts as found when a predicted entity of the same type overlaps the
annotated span and, where the annotation gives a value ("[fifty quid]{"entity":
"amount", "value": "50.00"}"), carries that normalised value too. The forward readings of
dates (`date_ahead`, `period_ahead`: the same words as the `date` / `date_range` beside them,
read for money that leaves later) are scored once an example of the set annotates them, as
are the readings that sit beside the others for one job's flows only (`alert_kind`,
`marketing_switch`, `contact_channel`, `place_kind`, `place_near`): a set written before
those jobs does not annotate them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from bot.nlu.model import NluModel
from bot.nlu.report import charts
from bot.nlu.training_data import EntitySpan, Example
from bot.nlu.types import FALLBACK_INTENT, Entity


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class Evaluation:
    examples: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    intents: dict[str, Scores] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # gold, predicted, n
    matrix: dict[str, dict[str, int]] = field(default_factory=dict)  # gold -> predicted -> n
    entities: dict[str, Scores] = field(default_factory=dict)
    entity_f1: float | None = None  # micro-averaged over all types; None if none annotated
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(model: NluModel, examples: list[Example], today: date | None = None) -> Evaluation:
    if not examples:
        raise ValueError("no examples to evaluate")
    gold, predicted = [], []
    fallbacks = 0
    entity_counts: dict[str, Counter[str]] = {}
    errors: list[dict[str, Any]] = []
    annotates = {span.entity for example in examples for span in example.entities}
    unscored = SECOND_READINGS - annotates
    for example in examples:
        parse = model.parse(example.text, today)
        top = parse.ranking[0].name
        fallbacks += parse.intent.name == FALLBACK_INTENT
        gold.append(example.intent)
        predicted.append(top)
        if top != example.intent:
            errors.append({"text": example.text, "intent": example.intent, "predicted": top,
                           "confidence": round(parse.ranking[0].confidence, 3)})  # fmt: skip
        _count_entities(example.entities, parse.entities, entity_counts, unscored)
    annotated = any(example.entities for example in examples)  # else entity scores mean nothing
    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    confusions = Counter((g, q) for g, q in zip(gold, predicted, strict=True) if g != q)
    return Evaluation(
        examples=len(examples),
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        fallback_rate=fallbacks / len(examples),
        intents={
            name: Scores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
            for i, name in enumerate(labels)
        },
        confusions=[(g, q, n) for (g, q), n in confusions.most_common(10)],
        matrix=_matrix(gold, predicted),
        entities={name: _scores(c) for name, c in sorted(entity_counts.items())}
        if annotated
        else {},
        entity_f1=_scores(sum(entity_counts.values(), Counter())).f1 if annotated else None,
        errors=errors,
    )


def _matrix(gold: list[str], predicted: list[str]) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    for g, q in zip(gold, predicted, strict=True):
        row = matrix.setdefault(g, {})
        row[q] = row.get(q, 0) + 1
    return matrix


SECOND_READINGS = frozenset(
    {
        "date_ahead",
        "period_ahead",
        "alert_kind",
        "marketing_switch",
        "contact_channel",
        "place_kind",
        "place_near",
    }
)


def _count_entities(
    gold: tuple[EntitySpan, ...],
    found: tuple[Entity, ...],
    counts: dict[str, Counter[str]],
    unscored: frozenset[str] = frozenset(),
) -> None:
    matched: set[int] = set()
    for span in gold:
        c = counts.setdefault(span.entity, Counter())
        c["gold"] += 1
        for i, entity in enumerate(found):
            if i not in matched and _matches(span, entity):
                matched.add(i)
                c["tp"] += 1
                break
    for entity in found:
        if entity.entity in unscored:
            continue  # nothing in the set annotates the forward reading: the date is scored
        counts.setdefault(entity.entity, Counter())["predicted"] += 1


def _matches(span: EntitySpan, entity: Entity) -> bool:
    if span.entity != entity.entity or not (span.start < entity.end and entity.start < span.end):
        return False
    if span.value is None:
        return True
    if isinstance(entity.value, str):
        return entity.value.casefold() == span.value.casefold()
    if isinstance(entity.value, dict):
        try:
            return json.loads(span.value) == entity.value
        except json.JSONDecodeError:
            return False
    return str(entity.value) == span.value


def _scores(c: Counter[str]) -> Scores:
    precision = c["tp"] / c["predicted"] if c["predicted"] else 0.0
    recall = c["tp"] / c["gold"] if c["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, c["gold"])


def format_evaluation(result: Evaluation) -> str:
    lines = [
        f"examples      {result.examples}",
        f"accuracy      {result.accuracy:.4f}",
        f"macro-F1      {result.macro_f1:.4f}",
        f"fallback rate {result.fallback_rate:.4f}",
    ]
    if result.entities:
        lines.append(f"entity F1     {result.entity_f1:.4f}  (micro, all types)")
        lines.append("entity         precision  recall     f1  support")
        for name, s in result.entities.items():
            lines.append(
                f"  {name:<12} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.support:8d}"
            )
    if result.confusions:
        lines.append("most confused (gold -> predicted: count)")
        lines.extend(f"  {g} -> {q}: {n}" for g, q, n in result.confusions)
    return "\n".join(lines)


def format_per_intent(result: Evaluation) -> str:
    lines = ["intent                                             precision  recall     f1  support"]
    for name, s in sorted(result.intents.items(), key=lambda kv: kv[1].f1):
        lines.append(f"  {name:<48} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.support:8d}")
    return "\n".join(lines)


def write_report(result: Evaluation, directory: Path) -> Path:
    """nlu_report.json (everything) and nlu_report.txt (summary and per-intent F1)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "nlu_report.json"
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    text = format_evaluation(result) + "\n\n" + format_per_intent(result) + "\n"
    (directory / "nlu_report.txt").write_text(text, encoding="utf-8")
    return path


def write_charts(result: Evaluation, directory: Path) -> list[Path]:
    """The report's PNG charts; charts.ChartsUnavailable when matplotlib is not installed."""
    return charts.write_charts(
        {name: s.f1 for name, s in result.intents.items()},
        result.matrix,
        directory,
        f"Per-intent F1 (accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f})",
    )
