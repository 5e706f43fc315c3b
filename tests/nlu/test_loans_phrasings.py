"""Held-out phrasings of the loan, deposit and application jobs (never in nlu_data/): they
must reach their intent, and their neighbours (a balance, a move to savings, a card
repayment, an exchange rate, a new card's delivery) must keep theirs."""

from __future__ import annotations

from bot.nlu.model import NluModel
from tests.nlu.phrasings import assert_mostly_reach_their_jobs, assert_neighbours_keep_theirs

HELD_OUT = {
    "loan_balance": [
        "what do I still owe on the loan",
        "how much is outstanding on my loan at the moment",
        "can you tell me my remaining loan balance",
        "how much have i left to pay back on my car loan",
    ],
    "loan_next_payment": [
        "when is the next repayment for my loan",
        "what date does my next loan instalment come out",
        "when's my loan payment due next",
    ],
    "loan_settlement": [
        "what would I have to pay to clear my loan today",
        "I'd like a figure to settle my loan early",
        "could I pay my loan off in full now, how much",
    ],
    "deposit_rates": [
        "how much interest do you give on a six month fixed term",
        "what's your rate for a 2 year fixed deposit",
        "what are the interest rates on your fixed rate bonds",
    ],
    "open_deposit": [
        "I'd like to put 3000 into a fixed deposit for a year",
        "can I open a fixed rate bond with some of my savings",
        "please set up a 6 month fixed term deposit for me",
    ],
    "list_deposits": [
        "when will my fixed term deposit mature",
        "show me the fixed deposits I have",
    ],
    "apply_loan": [
        "I'd like to take out a loan to buy a car",
        "could I borrow 8000 pounds",
        "I want to get a personal loan",
    ],
    "apply_credit_card": [
        "can I apply for one of your credit cards",
        "I'd like to get a credit card from you",
    ],
    "application_status": [
        "has my loan application been decided yet",
        "what's the latest on my credit card application",
        "is there any update on my application",
    ],
}
NEIGHBOURS = {
    "check_balance": ["what's my balance"],
    "transfer_between_accounts": ["move £50 to savings"],
    "pay_credit_card": ["pay off my credit card"],
    "exchange_rate": ["what's the exchange rate for euros"],
}


def test_loan_and_deposit_phrasings_reach_their_jobs(model: NluModel) -> None:
    assert_mostly_reach_their_jobs(model, HELD_OUT)


def test_neighbouring_intents_keep_their_phrasings(model: NluModel) -> None:
    assert_neighbours_keep_theirs(model, NEIGHBOURS)
