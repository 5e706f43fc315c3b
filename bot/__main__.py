"""Command line: `python -m bot train`, `evaluate FILE [--report DIR]` (YAML or CSV),
`agents add NAME [--display-name NAME] [--password-stdin]`, `agents list`,
`agents disable|enable NAME`, `agents reset-password NAME [--password-stdin]`, `validate`,
`test [PATH]` and `shell [--customer ID]`.

Each subcommand is a function registered in `build_parser`. This entry script is the one
module of `bot/` that may ask the composition root (`compose`) for the assembled app:
`validate`, `test` and `shell` need the actions and the sandbox bank, which the engine
itself never imports. Bad input to any command is one line naming the file and place.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from bot.dialogue.domain import DomainError
from bot.nlu.model import load_or_train
from bot.nlu.training_data import Example, TrainingDataError, load_training_data


def _train(args: argparse.Namespace) -> int:
    settings = load_settings(args.config).nlu
    model = load_or_train(settings)
    where = settings.model_dir / model.fingerprint
    if model.report is None:
        print(f"model up to date: {where}")
    else:
        r = model.report
        print(
            f"trained {r.intents} intents on {r.examples} examples in {r.seconds:.2f}s -> {where}"
        )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    # The offline report package (and matplotlib) only for this command, never for serving.
    from bot.nlu.report.charts import ChartsUnavailable
    from bot.nlu.report.evaluate import evaluate, format_evaluation, write_charts, write_report

    settings = load_settings(args.config).nlu
    model = load_or_train(settings)
    result = evaluate(model, _examples(args.file), args.today)
    print(format_evaluation(result))
    path = write_report(result, args.report)
    try:
        write_charts(result, args.report)
    except ChartsUnavailable as exc:
        print(f"report written to {path} (+ .txt; {exc})")
    else:
        print(f"report written to {path} (+ .txt and PNG charts)")
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    """From stdin (--password-stdin) or typed twice at a prompt, never argv; None when the
    two typed differ."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != password:
        print("error: the passwords differ", file=sys.stderr)
        return None
    return password


def _operator() -> str:
    """Who runs an agents command, for the audit trail."""
    return f"{getpass.getuser()}@{socket.gethostname()} (command line)"


@asynccontextmanager
async def _agent_admin(settings: Settings) -> AsyncIterator[Any]:
    """`Agents` over the deployment's MongoDB, announcing ended sessions on its Redis (when
    there is one) so the workers close those consoles' sockets at once."""
    from bot.handoff.agents import Agents, SessionsEnded, sessions_topic
    from bot.store import redis as redis_store
    from bot.store.mongo import connect_mongo
    from bot.store.mongo.records import MongoAgentStore

    config = settings.stores
    client = connect_mongo(config.mongodb_uri)
    bus_client = redis_store.connect_redis(config.redis_url) if config.redis_url else None
    try:
        store = MongoAgentStore(client.get_database(config.mongodb_db))
        await store.open()
        bus = None if bus_client is None else redis_store.RedisBus(bus_client, config.redis_prefix)
        yield Agents(store, ended=SessionsEnded(bus, sessions_topic(config.mongodb_db)))
    finally:
        await client.close()
        if bus_client is not None:
            await bus_client.aclose()


def _agents(args: argparse.Namespace) -> int:
    """`agents add|list|disable|enable|reset-password`: one line of outcome, or `error: ...`
    and exit status 2."""
    from bot.handoff.agents import AgentError, check_new, check_password
    from bot.ports import StoreUnavailable

    settings = load_settings(args.config)
    if not settings.stores.mongodb_uri:
        print("error: MONGODB_URI is not set", file=sys.stderr)
        return 2
    password = None
    if args.agents_command in ("add", "reset-password"):
        password = _read_password(args)
        if password is None:
            return 2
        try:
            if args.agents_command == "add":
                check_new(args.name, password)
            else:
                check_password(password)
        except AgentError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    async def run() -> list[str]:
        async with _agent_admin(settings) as agents:
            return await _AGENT_COMMANDS[args.agents_command](agents, args, password)

    try:
        lines = asyncio.run(run())
    except (AgentError, StoreUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


async def _add(agents: Any, args: argparse.Namespace, password: str | None) -> list[str]:
    assert password is not None
    added = await agents.add(args.name, password, args.display_name, by=_operator())
    return [f"agent {args.name} added (shown to customers as {added.name})"]


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


async def _list(agents: Any, args: argparse.Namespace, password: str | None) -> list[str]:
    rows = [("NAME", "SHOWN AS", "STATUS", "LAST SIGN-IN", "ADDED")]
    for record in await agents.records():
        states = ["disabled"] * record.disabled + ["locked"] * (record.locked_at is not None)
        status = ", ".join(states) or "active"
        rows.append(
            (record.id, record.display_name, status, _when(record.last_sign_in_at),
             _when(record.created_at))
        )  # fmt: skip
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} ended"


async def _disable(agents: Any, args: argparse.Namespace, password: str | None) -> list[str]:
    ended = await agents.disable(args.name, by=_operator())
    return [f"agent {args.name} disabled; {_sessions(ended)}"]


async def _enable(agents: Any, args: argparse.Namespace, password: str | None) -> list[str]:
    before = await agents.enable(args.name, by=_operator())
    states = ["disabled"] * before.disabled + ["locked"] * (before.locked_at is not None)
    was = f"was {' and '.join(states)}" if states else "was already active"
    return [f"agent {args.name} enabled ({was})"]


async def _reset_password(agents: Any, args: argparse.Namespace, password: str | None) -> list[str]:
    assert password is not None
    ended = await agents.reset_password(args.name, password, by=_operator())
    return [f"password of {args.name} reset; {_sessions(ended)}"]


_AGENT_COMMANDS = {
    "add": _add,
    "list": _list,
    "disable": _disable,
    "enable": _enable,
    "reset-password": _reset_password,
}


def _validate(args: argparse.Namespace) -> int:
    """One line per problem; exit status 1 if there is any."""
    import compose
    from bot.tools.validate import validate

    settings = load_settings(args.config)
    checked = validate(
        domain_dir=settings.dialogue.domain,
        nlu_data=settings.nlu.data,
        actions=compose.load_actions(),
        callers=compose.declarations(),
    )
    for problem in checked.problems:
        print(problem)
    if checked.problems:
        print(f"{len(checked.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"ok: {checked.flows} flows, {checked.intents} intents, "
        f"{checked.responses} responses agree with the NLU data and the code"
    )
    return 0


def _test(args: argparse.Namespace) -> int:
    """Run the conversation test cases through the real engine, offline."""
    import compose
    from bot.nlu.types import FALLBACK_INTENT
    from bot.tools.cases import CaseError, Clock, World, load_cases, report, run_cases

    settings = load_settings(args.config)
    intents = {*load_training_data(settings.nlu.data).intents, FALLBACK_INTENT, "resend_code"}
    try:
        cases = load_cases(args.path, intents)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.k:
        cases = [c for c in cases if args.k.lower() in c.name.lower()]
    logging.basicConfig(level=logging.ERROR if not args.verbose else logging.INFO)
    model = load_or_train(settings.nlu)

    async def run() -> int:
        async with compose.sandbox_banks() as banks:

            @asynccontextmanager
            async def world() -> AsyncIterator[World]:
                clock = Clock(time.time())
                async with (
                    banks() as bank,
                    compose.open_offline(settings, nlu=model, bank=bank, clock=clock) as teller,
                ):
                    yield World(
                        engine=teller.engine,
                        desk=teller.console.desk,
                        store=teller.stores.events,
                        bank=bank,
                        outbox=teller.outbox,
                        clock=clock,
                        links=teller.links,
                    )

            failed = 0
            async for result in run_cases(cases, world):
                print(report(result), flush=True)
                failed += not result.ok
        print(f"{len(cases) - failed} passed, {failed} failed, of {len(cases)} cases")
        return 1 if failed else 0

    return asyncio.run(run())


def _shell(args: argparse.Namespace) -> int:
    """Chat with Teller in the terminal, offline (in-memory store, in-process bank)."""
    import compose
    from bot.tools.shell import Shell

    settings = load_settings(args.config)
    logging.basicConfig(level=logging.ERROR)
    model = load_or_train(settings.nlu)

    async def run() -> int:
        async with compose.open_offline(settings, nlu=model) as teller:
            if args.customer:
                try:
                    await teller.bank.get_customer(args.customer)
                except Exception:
                    print(f"error: no sandbox customer {args.customer!r}", file=sys.stderr)
                    return 2
            shell = Shell(
                engine=teller.engine, outbox=teller.outbox, customer=args.customer, out=sys.stdout
            )
            shell.greet()
            await shell.chat(_typed_lines())
        return 0

    return asyncio.run(run())


def _typed_lines() -> Iterator[str]:
    """Lines from a terminal (with a prompt) or from a pipe, until the end of input."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


def _examples(path: Path) -> list[Example]:
    """A Rasa-format file or directory, or a BANKING77-style `text,category` CSV."""
    if path.suffix == ".csv":
        from bot.nlu.report.datasets import read_csv

        try:
            return read_csv(path)
        except (OSError, ValueError, KeyError) as exc:
            raise TrainingDataError(f"{path}: {exc}") from exc
    return load_training_data(path).examples


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Teller command line")
    parser.add_argument("--config", type=Path, help="config file (default: config.yml)")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the NLU model unless it is up to date")
    train.set_defaults(run=_train)

    ev = commands.add_parser("evaluate", help="score the NLU model on an annotated Rasa file")
    ev.add_argument(
        "file", type=Path, help="Rasa-format YAML (file or directory) or text,category CSV"
    )
    ev.add_argument(
        "--report", type=Path, default=Path("reports/nlu"),
        help="directory for nlu_report.json/.txt and the PNG charts (default: reports/nlu)",
    )  # fmt: skip
    ev.add_argument("--today", type=date.fromisoformat, help="reference date for relative dates")
    ev.set_defaults(run=_evaluate)

    agents = commands.add_parser("agents", help="manage agent console accounts")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True)
    add = agent_commands.add_parser("add", help="create an agent (password from a prompt)")
    add.add_argument("name", help="sign-in name: 2-32 of a-z 0-9 . _ -")
    add.add_argument("--display-name", help="what customers see (default: from the name)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    agent_commands.add_parser("list", help="every agent, their status and last sign-in")
    disable = agent_commands.add_parser(
        "disable", help="stop an agent signing in and end their sessions now"
    )
    enable = agent_commands.add_parser(
        "enable", help="let a disabled or locked agent sign in again"
    )
    reset = agent_commands.add_parser(
        "reset-password", help="set a new password (from a prompt) and end their sessions"
    )
    reset.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    for named in (disable, enable, reset):
        named.add_argument("name", help="the agent's sign-in name")
    agents.set_defaults(run=_agents)

    check = commands.add_parser("validate", help="check the domain against the NLU data and code")
    check.set_defaults(run=_validate)

    test = commands.add_parser("test", help="run the conversation test cases (YAML)")
    test.add_argument(
        "path", type=Path, nargs="?", default=PROJECT_ROOT / "tests" / "conversations",
        help="a case file or a folder of them (default: tests/conversations)",
    )  # fmt: skip
    test.add_argument("-k", help="only cases whose name contains this")
    test.add_argument("-v", "--verbose", action="store_true", help="show the engine's log")
    test.set_defaults(run=_test)

    shell = commands.add_parser("shell", help="chat with Teller in the terminal, offline")
    shell.add_argument("--customer", help="a sandbox customer id, e.g. cust-001 (else anonymous)")
    shell.set_defaults(run=_shell)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (TrainingDataError, ConfigError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
