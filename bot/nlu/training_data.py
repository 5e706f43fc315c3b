"""Read Rasa-format (version "3.1") NLU training data into typed, validated records.

Line numbers come from the YAML node marks so a malformed example is reported as
`file:line` with its intent: training data is written by people, and they need to
find the typo fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.yaml_errors import yaml_problem

# [text](entity) | [text](entity:value) | [text]{"entity": "...", "value": "..."}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]\[]+)\](?:\((?P<short>[^)]*)\)|(?P<json>\{[^}]*\}))")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_ITEM_KINDS = ("intent", "synonym", "lookup", "regex")


class TrainingDataError(ValueError):
    """Training data that cannot be read; the message says where (file:line) and why."""


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """An annotated entity inside an example's plain text.

    `value` is the annotation's explicit normalised value, or None when the
    annotation only marks the span (then the value is the text itself).
    """

    entity: str
    text: str
    start: int
    end: int
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    intent: str
    text: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""


@dataclass(slots=True)
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased variant -> canonical
    lookups: dict[str, list[str]] = field(default_factory=dict)  # table name -> entries
    regexes: dict[str, list[str]] = field(default_factory=dict)  # name -> patterns

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, entries in other.lookups.items():
            self.lookups.setdefault(name, []).extend(entries)
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(patterns)


def training_files(path: Path) -> list[Path]:
    """Every .yml/.yaml file under `path` (or `path` itself), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise TrainingDataError(f"{path}: no such training data file or directory")
    return sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def load_training_data(path: str | Path) -> TrainingData:
    data = TrainingData()
    for file in training_files(Path(path)):
        data.merge(parse_training_yaml(file.read_text(encoding="utf-8"), str(file)))
    return data


def parse_training_yaml(text: str, source: str = "<string>") -> TrainingData:
    """Parse one YAML document; top-level keys other than `nlu` are ignored."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise TrainingDataError(yaml_problem(source, exc)) from exc
    data = TrainingData()
    if root is None:
        return data
    if not isinstance(root, yaml.MappingNode):
        raise TrainingDataError(f"{source}:{root.start_mark.line + 1}: top level must be a mapping")
    items = _mapping(root).get("nlu")
    if items is None:
        return data
    if not isinstance(items, yaml.SequenceNode):
        raise TrainingDataError(f"{source}:{items.start_mark.line + 1}: `nlu` must be a list")
    for item in items.value:
        _read_item(item, source, data)
    return data


def _mapping(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {key.value: value for key, value in node.value}


def _read_item(node: yaml.Node, source: str, data: TrainingData) -> None:
    where = f"{source}:{node.start_mark.line + 1}"
    if not isinstance(node, yaml.MappingNode):
        raise TrainingDataError(f"{where}: each `nlu` item must be a mapping")
    fields = _mapping(node)
    kinds = [k for k in _ITEM_KINDS if k in fields]
    if len(kinds) != 1:
        raise TrainingDataError(f"{where}: an item needs exactly one of {', '.join(_ITEM_KINDS)}")
    kind = kinds[0]
    name_node = fields[kind]
    name = name_node.value if isinstance(name_node, yaml.ScalarNode) else None
    if not name or not isinstance(name, str):
        raise TrainingDataError(f"{where}: `{kind}` needs a name")
    label = f"{kind} {name!r}"
    if kind == "intent" and not _NAME.match(name):
        raise TrainingDataError(f"{where}: {label}: names use letters, digits, _ and -")
    lines = list(_example_lines(fields.get("examples"), where, label))
    if not lines:
        raise TrainingDataError(f"{where}: {label} has no examples")
    for line_no, raw in lines:
        at = f"{source}:{line_no}: {label}"
        if kind == "intent":
            text, spans = parse_annotated(raw, at)
            data.examples.append(Example(name, text, spans, f"{source}:{line_no}"))
            for span in spans:
                if span.value is not None and span.value != span.text:
                    data.synonyms[span.text.lower()] = span.value
        elif kind == "synonym":
            data.synonyms[raw.lower()] = name
        elif kind == "lookup":
            data.lookups.setdefault(name, []).append(raw)
        else:
            try:
                re.compile(raw)
            except re.error as exc:
                raise TrainingDataError(f"{at}: invalid regex {raw!r}: {exc}") from exc
            data.regexes.setdefault(name, []).append(raw)


def _example_lines(node: yaml.Node | None, where: str, label: str) -> Iterable[tuple[int, str]]:
    """Yield (1-based line, text) for each `- ` line of an `examples: |` block."""
    if node is None:
        raise TrainingDataError(f"{where}: {label} has no `examples`")
    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        raise TrainingDataError(f"{where}: {label}: `examples` must be a block of `- ` lines")
    # A literal block starts on the line after its `|` indicator.
    first = node.start_mark.line + 1 + (1 if node.style in {"|", ">"} else 0)
    for offset, line in enumerate(node.value.splitlines()):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith("- "):
            raise TrainingDataError(
                f"{where.rsplit(':', 1)[0]}:{first + offset}: {label}: "
                f"example lines start with '- ', got {stripped!r}"
            )
        text = stripped[2:].strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1]
        if text:
            yield first + offset, text


def parse_annotated(raw: str, where: str = "<example>") -> tuple[str, tuple[EntitySpan, ...]]:
    """Strip entity annotations from `raw`, returning plain text and the spans they marked."""
    parts: list[str] = []
    spans: list[EntitySpan] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(raw):
        before = raw[cursor : match.start()]
        parts.append(before)
        length += len(before)
        text = match.group("text")
        entity, value = _annotation_target(match, where)
        spans.append(EntitySpan(entity, text, length, length + len(text), value))
        parts.append(text)
        length += len(text)
        cursor = match.end()
    parts.append(raw[cursor:])
    plain = "".join(parts)
    if re.search(r"\]\(|\]\{", plain):
        raise TrainingDataError(f"{where}: malformed entity annotation in {raw!r}")
    return plain, tuple(spans)


def _annotation_target(match: re.Match[str], where: str) -> tuple[str, str | None]:
    short = match.group("short")
    if short is not None:
        entity, _, value = short.partition(":")
        entity, value = entity.strip(), value.strip()
        if not _NAME.match(entity):
            raise TrainingDataError(f"{where}: bad entity name in {match.group(0)!r}")
        return entity, value or None
    try:
        spec = json.loads(match.group("json"))
    except json.JSONDecodeError as exc:
        raise TrainingDataError(f"{where}: invalid JSON in {match.group(0)!r}: {exc}") from exc
    entity = spec.get("entity") if isinstance(spec, dict) else None
    if not isinstance(entity, str) or not _NAME.match(entity):
        raise TrainingDataError(f"{where}: annotation {match.group(0)!r} needs an `entity` name")
    value = spec.get("value")
    return entity, None if value is None else str(value)
