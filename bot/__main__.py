"""Command line: `python -m bot train`, `python -m bot evaluate FILE [--report DIR]` (YAML or CSV),
`python -m bot agents add NAME [--display-name NAME] [--password-stdin]`.

Each subcommand is a function registered in `build_parser`, so adding one (e.g.
`agents add`) is a new function and two lines there.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.config import load_settings
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


def _agents_add(args: argparse.Namespace) -> int:
    """Create a console agent; the password is read from a prompt or stdin, never argv."""
    from bot.handoff.agents import AgentError, Agents, check_new
    from bot.store.mongo import connect_mongo
    from bot.store.mongo.records import MongoAgentStore

    settings = load_settings(args.config)
    if not settings.stores.mongodb_uri:
        print("error: MONGODB_URI is not set", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        check_new(args.name, password)
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def add() -> str:
        client = connect_mongo(settings.stores.mongodb_uri)
        try:
            agents = Agents(MongoAgentStore(client.get_database(settings.stores.mongodb_db)))
            return (await agents.add(args.name, password, args.display_name)).name
        finally:
            await client.close()

    try:
        shown = asyncio.run(add())
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"agent {args.name} added (shown to customers as {shown})")
    return 0


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
    add.set_defaults(run=_agents_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except TrainingDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
