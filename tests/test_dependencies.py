"""The dependency rules of the design (README "Architecture"), read from every module's imports.

server.py -> compose.py -> connectors/ -> bot/ (engine + ports) <- actions/ -> the bank's API.
A forbidden edge, a database driver outside its adapter, or an import circle fails here,
naming the module and the line, so the rules survive the features still to come.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "actions", "connectors", "sandbox")
ROOT_MODULES = ("server", "compose")
OURS = (*PACKAGES, *ROOT_MODULES)


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted
    line: int
    top_level: bool  # at module level (not inside a function)

    def __str__(self) -> str:
        return f"{self.module.replace('.', '/')}.py:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))
    for name in ROOT_MODULES:
        yield ROOT / f"{name}.py"


def _imports(path: Path) -> Iterator[Import]:
    return _imports_of(path, path)


def _imports_of(path: Path, as_path: Path) -> Iterator[Import]:
    """The imports in `path`, as if it were the module at `as_path`."""
    module = _module_name(as_path)
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    for node in ast.walk(tree):
        top = id(node) not in functions
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, top)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield Import(module, f"{node.module}.{alias.name}", node.lineno, top)
        elif (  # importlib.import_module("actions.cards") is an import too
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield Import(module, str(node.args[0].value), node.lineno, top)


IMPORTS = [found for path in _sources() for found in _imports(path)]


def _root(dotted: str) -> str:
    return dotted.split(".", 1)[0]


def _in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def _breaking(rule: str) -> list[str]:
    return [str(i) for i in IMPORTS if RULES[rule](i)]


RULES = {
    # The engine knows none of its adapters, channels or actions, nor who assembles it;
    # only its command-line entry may ask the composition root for the assembled app.
    "bot imports no adapter package": lambda i: (
        _in(i.module, "bot")
        and i.module != "bot.__main__"
        and _root(i.target) in ("connectors", "actions", "sandbox", "server", "compose")
    ),
    "the command line reaches adapters only through the composition root": lambda i: (
        i.module == "bot.__main__" and _root(i.target) in ("connectors", "actions", "sandbox")
    ),
    # Actions implement the contract against the bank port, and nothing else of ours.
    "actions use only the action contract and the bank port": lambda i: (
        _in(i.module, "actions")
        and _root(i.target) in OURS
        and not _in(i.target, "actions", "bot.handlers", "bot.bank")
    ),
    # Channels call the engine; they never reach into actions, the sandbox or the root.
    "connectors import no action, sandbox or root module": lambda i: (
        _in(i.module, "connectors") and _root(i.target) in ("actions", "sandbox", *ROOT_MODULES)
    ),
    "the sandbox bank is a bank, not part of Teller": lambda i: (
        _in(i.module, "sandbox") and _root(i.target) in ("bot", "actions", "connectors", "compose")
    ),
    # Adapters by technology: each driver in its adapter module, nowhere else.
    "PyMongo only in bot/store/mongo": lambda i: (
        _root(i.target) in ("pymongo", "bson") and not _in(i.module, "bot.store.mongo")
    ),
    "redis only in bot/store/redis.py": lambda i: (
        _root(i.target) == "redis" and i.module != "bot.store.redis"
    ),
    "aiosmtplib only in bot/notify/email.py": lambda i: (
        _root(i.target) == "aiosmtplib" and i.module != "bot.notify.email"
    ),
    "the engine speaks HTTP only in bot/notify": lambda i: (
        _in(i.module, "bot") and _root(i.target) == "httpx" and not _in(i.module, "bot.notify")
    ),
}


@pytest.mark.parametrize("rule", RULES)
def test_dependency_rule(rule: str) -> None:
    assert _breaking(rule) == []


def test_the_rules_see_imports_inside_functions_and_import_module_calls(tmp_path: Path) -> None:
    """The checks would be blind without these."""
    assert any(i.module == "bot.__main__" and not i.top_level for i in IMPORTS)
    source = ROOT / "bot" / "x.py"
    code = "import importlib\ndef f():\n    importlib.import_module('actions.cards')\n"
    probe = tmp_path / "x.py"
    probe.write_text(code)
    found = [i.target for i in _imports_of(probe, source)]
    assert found == ["importlib", "actions.cards"]


def _package_graph() -> dict[str, set[str]]:
    """Module-level imports between our modules (an import of a package counts as an
    edge to its `__init__`)."""
    known = {_module_name(path) for path in _sources()}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for found in IMPORTS:
        if not found.top_level:
            continue
        target = found.target
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != found.module:
            graph[found.module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert _circles(_package_graph()) == []


def test_a_forbidden_edge_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    """The rule test itself: an engine module that imports an action is caught."""
    bad = Import("bot.dialogue.manager", "actions.cards", 7, True)
    assert RULES["bot imports no adapter package"](bad)
    assert str(bad) == "bot/dialogue/manager.py:7 imports actions.cards"
    assert not RULES["bot imports no adapter package"](Import("bot.turn", "bot.ports", 3, True))


def test_no_route_or_dependency_runs_on_a_worker_thread() -> None:
    """FastAPI runs a plain `def` route or dependency on a thread, a hop per request on the
    hot path; every one of ours is `async def`."""
    import inspect

    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute, APIWebSocketRoute

    from bot.config import Settings, StoreSettings
    from compose import create_app

    app = create_app(Settings(dev_mode=True, stores=StoreSettings(mongodb_uri="mongodb://nowhere")))

    def sync_calls(dependant: Dependant) -> Iterator[str]:
        if dependant.call is not None and not inspect.iscoroutinefunction(dependant.call):
            yield getattr(dependant.call, "__qualname__", repr(dependant.call))
        for sub in dependant.dependencies:
            yield from sync_calls(sub)

    found = {
        f"{route.path}: {call}"
        for route in app.routes
        if isinstance(route, APIRoute | APIWebSocketRoute)
        for call in sync_calls(route.dependant)
    }
    assert found == set()
