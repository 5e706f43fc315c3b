"""Monthly budgets per spending category: set, change, list, remove, and how one is going.

The bank keeps the budgets (`bot.bank.BudgetBank`): it books every payment, so it is the one
that sees a payment take a budget past 80% or 100% and raises the alert then (Teller tells
the customer on their next turn: `bot/dialogue/alerts.py`). A budget covers the merchant
category codes of its category in `actions/data/merchant_categories.yml`, the same mapping
the spending totals use, so "spent" here is what "how much did I spend on groceries this
month" says.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import yaml

from actions.formatting import money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.spending import CATEGORY_FILE
from actions.validators import AMOUNT_REASONS, amount_problem
from bot.bank import BankError, BankRejected, Budget
from bot.handlers import ActionContext, ActionResult, Reply, action


@cache
def category_codes() -> dict[str, list[str]]:
    """Category -> its merchant category codes and ranges, as the data file lists them."""
    raw = yaml.safe_load(CATEGORY_FILE.read_text(encoding="utf-8"))
    return {name: [str(code) for code in codes] for name, codes in raw.items()}


def _name(ctx: ActionContext, category: str) -> str:
    return ctx.text(f"category_{category}")


def find_category(ctx: ActionContext, said: object) -> str | None:
    """A category from its key ("eating_out") or the name customers read ("eating out")."""
    wanted = " ".join(str(said or "").lower().replace("_", " ").split())
    for category in category_codes():
        if wanted in (category.replace("_", " "), _name(ctx, category).lower()):
            return category
    return None


def _category_buttons(ctx: ActionContext, intent: str = "inform") -> tuple[tuple[str, str], ...]:
    return tuple(
        (_name(ctx, c).capitalize(), payload(intent, category=c)) for c in category_codes()
    )


def _percent(budget: Budget) -> int:
    return int(budget.spent * 100 / budget.amount) if budget.amount else 0


def _days_left(budget: Budget) -> int:
    """Today included."""
    return (budget.end - budget.today).days + 1


def _days(ctx: ActionContext, budget: Budget) -> str:
    left = _days_left(budget)
    return ctx.text("budget_day_left" if left == 1 else "budget_days_left", days=left)


def _line(ctx: ActionContext, budget: Budget) -> str:
    return ctx.text(
        "budget_line",
        category=_name(ctx, budget.category).capitalize(),
        spent=money(budget.spent),
        amount=money(budget.amount),
        percent=_percent(budget),
    )


def _status(ctx: ActionContext, budget: Budget) -> Reply:
    said = {
        "category": _name(ctx, budget.category),
        "spent": money(budget.spent),
        "amount": money(budget.amount),
        "percent": _percent(budget),
        "days": _days(ctx, budget),
    }
    if budget.spent > budget.amount:
        return Reply(
            "utter_budget_status_over", {**said, "over": money(budget.spent - budget.amount)}
        )
    return Reply("utter_budget_status", {**said, "left": money(budget.amount - budget.spent)})


STATUS_TEXTS = {
    "utter_budget_status": ["category", "spent", "amount", "percent", "left", "days"],
    "utter_budget_status_over": ["category", "spent", "amount", "percent", "over", "days"],
    "budget_days_left": ["days"],
    "budget_day_left": ["days"],
}
CATEGORY_TEXTS = {f"category_{name}": [] for name in category_codes()}


async def _budgets(ctx: ActionContext) -> list[Budget]:
    return await ctx.bank.list_budgets(ctx.customer_id)


def _of(budgets: list[Budget], category: str) -> Budget | None:
    return next((b for b in budgets if b.category == category), None)


@action(
    "validate_budget_category",
    says={
        "utter_budget_category_unknown": ["said", "categories"],
        "budget_currently": ["amount"],
        "budget_spent_so_far": ["spent", "category"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["category_text", "budget_id", "budget_before", "budget_spent"],
)
async def validate_budget_category(ctx: ActionContext) -> ActionResult:
    """The category to set a budget for, with the budget it has now (a change) if any."""
    category = find_category(ctx, ctx.slots.get("category"))
    if category is None:
        names = ", ".join(_name(ctx, c) for c in category_codes())
        reply = Reply(
            "utter_budget_category_unknown",
            {"said": str(ctx.slots.get("category") or "").strip(), "categories": names},
            _category_buttons(ctx),
        )
        return ActionResult(ok=False, error="category_unknown", replies=[reply])
    try:
        budget = _of(await _budgets(ctx), category)
    except BankError as exc:
        return bank_unavailable("validate_budget_category", exc)
    spent = (
        ""
        if budget is None or not budget.spent
        else ctx.text(
            "budget_spent_so_far", spent=money(budget.spent), category=_name(ctx, category)
        )
    )
    return ActionResult(
        slots={
            "category": category,
            "category_text": _name(ctx, category),
            "budget_id": budget.id if budget else "",
            "budget_before": ctx.text("budget_currently", amount=money(budget.amount))
            if budget
            else "",
            "budget_spent": spent,
        }
    )


@action(
    "validate_budget_amount",
    says={"utter_budget_amount_invalid": ["reason"], **AMOUNT_REASONS},
    sets=["amount_text"],
)
async def validate_budget_amount(ctx: ActionContext) -> ActionResult:
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_budget_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    return ActionResult(slots={"amount": f"{amount:.2f}", "amount_text": money(amount)})


@action(
    "save_budget",
    says={
        "utter_budget_saved": ["category", "amount", "status"],
        "utter_budget_rejected": ["category"],
        "budget_saved_status": ["spent", "percent", "days"],
        "budget_saved_status_over": ["spent", "over", "days"],
        "budget_days_left": ["days"],
        "budget_day_left": ["days"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def save_budget(ctx: ActionContext) -> ActionResult:
    """Create the category's budget, or change the one it has (also one made meanwhile)."""
    category = str(ctx.slots["category"])
    amount = Decimal(str(ctx.slots["amount"]))
    budget_id = str(ctx.slots.get("budget_id") or "")
    key = ctx.idempotency_key or ""
    try:
        if not budget_id:
            try:
                budget = await ctx.bank.create_budget(
                    ctx.customer_id,
                    category=category,
                    codes=category_codes()[category],
                    amount=amount,
                    idempotency_key=key,
                )
            except BankRejected as exc:
                if exc.code != "budget_exists":
                    raise
                found = _of(await _budgets(ctx), category)
                if found is None:
                    raise
                budget_id = found.id
        if budget_id:
            budget = await ctx.bank.change_budget(
                ctx.customer_id, budget_id, amount=amount, idempotency_key=f"{key}:change"
            )
    except BankRejected as exc:
        reply = Reply("utter_budget_rejected", {"category": _name(ctx, category)})
        return ActionResult(ok=False, error=exc.code, replies=[reply])
    except BankError as exc:
        return bank_unavailable("save_budget", exc)
    status = _status(ctx, budget)
    key = "budget_saved_status_over" if budget.spent > budget.amount else "budget_saved_status"
    said = {
        "category": _name(ctx, category),
        "amount": money(budget.amount),
        "status": ctx.text(key, **status.vars),
    }
    audit = {"budget_id": budget.id, "category": category, "amount": f"{budget.amount:.2f}"}
    return ActionResult(replies=[Reply("utter_budget_saved", said)], audit=audit)


@action(
    "list_budgets",
    says={
        "utter_budgets": ["lines"],
        "utter_no_budgets": [],
        "budget_line": ["category", "spent", "amount", "percent"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def list_budgets(ctx: ActionContext) -> ActionResult:
    try:
        budgets = await _budgets(ctx)
    except BankError as exc:
        return bank_unavailable("list_budgets", exc)
    if not budgets:
        return ActionResult(replies=[Reply("utter_no_budgets")])
    lines = "\n".join(_line(ctx, b) for b in budgets)
    return ActionResult(replies=[Reply("utter_budgets", {"lines": lines})])


@action(
    "budget_status",
    says={
        **STATUS_TEXTS,
        "utter_no_budgets": [],
        "utter_no_budget_for": ["category"],
        "set_budget_button": ["category"],
        "utter_budgets": ["lines"],
        "budget_line": ["category", "spent", "amount", "percent"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def budget_status(ctx: ActionContext) -> ActionResult:
    """How one category's budget is going; with none named, the only one, or all of them."""
    said = ctx.slots.get("category")
    category = find_category(ctx, said) if said else None
    try:
        budgets = await _budgets(ctx)
    except BankError as exc:
        return bank_unavailable("budget_status", exc)
    if category is not None:
        budget = _of(budgets, category)
        if budget is None:
            name = _name(ctx, category)
            button = (
                ctx.text("set_budget_button", category=name),
                payload("set_budget", category=category),
            )
            reply = Reply("utter_no_budget_for", {"category": name}, (button,))
            return ActionResult(replies=[reply])
        return ActionResult(replies=[_status(ctx, budget)])
    if not budgets:
        return ActionResult(replies=[Reply("utter_no_budgets")])
    if len(budgets) == 1:
        return ActionResult(replies=[_status(ctx, budgets[0])])
    lines = "\n".join(_line(ctx, b) for b in budgets)
    return ActionResult(replies=[Reply("utter_budgets", {"lines": lines})])


def _budget_buttons(ctx: ActionContext, budgets: list[Budget]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_name(ctx, b.category).capitalize(), payload("inform", category=b.category))
        for b in budgets
    )


@action(
    "offer_budgets",
    says={
        "utter_no_budgets": [],
        "utter_budget_which": ["budgets"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["category"],
)
async def offer_budgets(ctx: ActionContext) -> ActionResult:
    """Before asking which budget to remove: none stops here; the only one is taken; with
    several and none named, they are shown as buttons."""
    try:
        budgets = await _budgets(ctx)
    except BankError as exc:
        return bank_unavailable("offer_budgets", exc)
    if not budgets:
        return ActionResult(ok=False, error="no_budgets", replies=[Reply("utter_no_budgets")])
    if ctx.slots.get("category"):
        return ActionResult()
    if len(budgets) == 1:
        return ActionResult(slots={"category": budgets[0].category})  # the confirm says which
    names = ", ".join(_name(ctx, b.category) for b in budgets)
    reply = Reply("utter_budget_which", {"budgets": names}, _budget_buttons(ctx, budgets))
    return ActionResult(replies=[reply])


@action(
    "validate_existing_budget",
    says={
        "utter_no_budgets": [],
        "utter_no_budget_for": ["category"],
        "utter_budget_which": ["budgets"],
        "set_budget_button": ["category"],
        **CATEGORY_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["category_text", "budget_id", "amount_text"],
)
async def validate_existing_budget(ctx: ActionContext) -> ActionResult:
    """The budget to remove: one of the customer's, named by its category."""
    try:
        budgets = await _budgets(ctx)
    except BankError as exc:
        return bank_unavailable("validate_existing_budget", exc)
    if not budgets:
        return ActionResult(ok=False, error="no_budgets", replies=[Reply("utter_no_budgets")])
    said = str(ctx.slots.get("category") or "").strip()
    category = find_category(ctx, said)
    budget = _of(budgets, category) if category else None
    if budget is None:
        buttons = _budget_buttons(ctx, budgets)
        names = ", ".join(_name(ctx, b.category) for b in budgets)
        key, said = "utter_budget_which", {"budgets": names}
        if category:
            key, said = "utter_no_budget_for", {"category": _name(ctx, category)}
        return ActionResult(ok=False, error="budget_not_found", replies=[Reply(key, said, buttons)])
    return ActionResult(
        slots={
            "category": budget.category,
            "category_text": _name(ctx, budget.category),
            "budget_id": budget.id,
            "amount_text": money(budget.amount),
        }
    )


@action(
    "delete_budget",
    says={
        "utter_budget_removed": ["category"],
        "utter_budget_rejected": ["category"],
        **BANK_UNAVAILABLE,
    },
)
async def delete_budget(ctx: ActionContext) -> ActionResult:
    name = str(ctx.slots.get("category_text") or "")
    try:
        await ctx.bank.delete_budget(
            ctx.customer_id, str(ctx.slots["budget_id"]), ctx.idempotency_key or ""
        )
    except BankRejected as exc:
        if exc.code != "budget_not_found":  # already gone: what the customer wanted
            return ActionResult(
                ok=False,
                error=exc.code,
                replies=[Reply("utter_budget_rejected", {"category": name})],
            )
    except BankError as exc:
        return bank_unavailable("delete_budget", exc)
    audit = {"budget_id": str(ctx.slots["budget_id"])}
    return ActionResult(replies=[Reply("utter_budget_removed", {"category": name})], audit=audit)
