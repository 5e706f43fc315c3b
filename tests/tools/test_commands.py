"""`python -m bot validate`, `test` and `shell` as a conversation designer runs them: real
processes, the real model; bad input is one line naming the file and place, never a
traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "bot" / "domain"
NLU = PROJECT_ROOT / "nlu_data"


def run(*args: str, stdin: str = "", config: Path | None = None) -> subprocess.CompletedProcess:
    extra = ["--config", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "bot", *extra, *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def config_with(tmp_path: Path, domain: Path = DOMAIN, nlu: Path = NLU) -> Path:
    """config.yml with the domain and the NLU data somewhere else."""
    text = (PROJECT_ROOT / "config.yml").read_text()
    text = text.replace("domain: bot/domain", f"domain: {domain}")
    text = text.replace("data: nlu_data", f"data: {nlu}")
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_validate_passes_on_the_project() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_validate_lists_every_problem_one_line_each(tmp_path: Path) -> None:
    domain = tmp_path / "domain"
    shutil.copytree(DOMAIN, domain)
    flows = domain / "flows.yml"
    text = flows.read_text().replace("intent: check_balance", "intent: check_my_wealth")
    text = text.replace("ask: utter_ask_amount", "ask: utter_ask_amount_again")
    flows.write_text(text)
    (domain / "extra.yml").write_text(
        "responses:\n  utter_ask_amount_again:\n    - text: 'How much, {nickname}?'\n"
    )
    result = run("validate", config=config_with(tmp_path, domain=domain))
    no_traceback(result)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        "flows.yml: flow 'check_balance': intent 'check_my_wealth' has no examples" in line
        for line in lines
    )
    assert any("intent 'check_balance' is answered by no flow or answer" in line for line in lines)
    assert any(
        "flow 'transfer_money' step 2: response 'utter_ask_amount_again' uses {nickname}" in line
        for line in lines
    )


def test_validate_finds_an_example_under_two_intents(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    shutil.copytree(NLU, nlu)
    (nlu / "twice.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: goodbye\n  examples: |\n    - hello there\n'
    )
    result = run("validate", config=config_with(tmp_path, nlu=nlu))
    assert result.returncode == 1
    assert "'hello there' is an example of goodbye and greet" in result.stdout


def test_validate_names_a_malformed_domain_file(tmp_path: Path) -> None:
    domain = tmp_path / "domain"
    shutil.copytree(DOMAIN, domain)
    (domain / "broken.yml").write_text("responses: {utter_x: [\n")
    result = run("validate", config=config_with(tmp_path, domain=domain))
    no_traceback(result)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if "broken.yml" in line
    ]
    assert "not valid YAML" in result.stdout


CASE = """
cases:
  - case: the balance is shown
    customer: cust-001
    steps:
      - user: what's my balance?
        intent: check_balance
        says: "Current account ••4821: £2,450.00"
  - case: a step that cannot hold
    customer: cust-001
    steps:
      - user: hi
        intent: greet
      - user: send 5 pounds to alice
        flow: transfer_money
        awaiting: amount
"""


def test_a_failing_case_prints_the_conversation_and_the_first_difference(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yml"
    cases.write_text(CASE)
    result = run("test", str(cases))
    no_traceback(result)
    assert result.returncode == 1
    assert "ok    the balance is shown" in result.stdout
    failed = result.stdout.split("FAIL  a step that cannot hold", 1)[1]
    assert "customer: hi" in failed and "customer: send 5 pounds to alice" in failed
    assert "Just to confirm: send £5.00 to Alice Johnson" in failed
    assert ">> step 2 (line 14): awaiting: expected 'amount', got None" in failed
    assert result.stdout.rstrip().endswith("1 passed, 1 failed, of 2 cases")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - case: x\n    steps:\n      - user: hi\n        intent: greeet\n",
         "cases.yml:4: case 'x': unknown intent 'greeet' (not in the NLU training data)"),
        ("cases:\n  - case: x\n    steps: [\n", "cases.yml:4: not valid YAML"),
        ("cases:\n  - case: x\n    steps:\n      - shout: hi\n",
         "cases.yml:4: case 'x': unknown step keys ['shout']"),
        ("cases:\n  - case: x\n    steps:\n      - user: hi\n        bank: {mood: happy}\n",
         "`bank:` knows balance, card, card_control and payee, not 'mood'"),
    ],
)  # fmt: skip
def test_a_malformed_case_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    cases = tmp_path / "cases.yml"
    cases.write_text(text)
    result = run("test", str(cases))
    no_traceback(result)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_shell_reads_piped_lines_and_shows_what_teller_understood() -> None:
    result = run(
        "shell", "--customer", "cust-001", stdin="what's my balance?\nsend £5 to bob\n#1\n"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Current account ••4821: £2,450.00" in out
    assert "intent check_balance" in out
    assert "· flow transfer_money · awaiting - · status bot" in out  # at the confirm step
    assert "[#1] Yes, send it" in out
    assert "awaiting otp" in out
    assert "dev outbox, to +447700900101: Teller:" in out  # the code, as the outbox has it


def test_the_shell_is_anonymous_without_a_customer() -> None:
    result = run("shell", stdin="what's my balance?\n")
    assert result.returncode == 0
    assert "Please sign in" in result.stdout


def test_the_shell_refuses_an_unknown_customer() -> None:
    result = run("shell", "--customer", "cust-999", stdin="hi\n")
    no_traceback(result)
    assert result.returncode == 2
    assert "no sandbox customer 'cust-999'" in result.stderr
