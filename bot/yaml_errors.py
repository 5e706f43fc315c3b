"""YAML errors as one line a person can act on: `file:line: not valid YAML: why`."""

from __future__ import annotations

from pathlib import Path

import yaml


def yaml_problem(path: Path | str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: not valid YAML: {problem}"
