"""The CFPB development slice: product mapping onto Kesu codes and a deterministic split.

The held-out part is chosen by a hash of the complaint id within each business line, so it
is the same on every machine and never depends on a random generator or library version.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from importlib import resources

HELDOUT_SHARE = 0.3
BALANCED_PER_CLASS = 25

_PRODUCTS = (
    ("credit card", "credit_card"),
    ("checking or savings", "deposit"), ("bank account", "deposit"),
    ("mortgage", "personal_loan"), ("student loan", "personal_loan"), ("vehicle loan", "personal_loan"),
    ("payday", "personal_loan"), ("consumer loan", "personal_loan"),
    ("credit reporting", "credit_reporting"),
    ("debt collection", "debt_collection"),
    ("money transfer", "payment_settlement"), ("virtual currency", "payment_settlement"),
)

# CFPB issues mapped onto JR/T 0169 causes; the first matching fragment wins.
_ISSUES = (
    ("disclosure", "disclosure"), ("advertising", "marketing"), ("add-on", "marketing"),
    ("fee", "pricing_fees"), ("interest", "pricing_fees"), ("cash advance", "pricing_fees"),
    ("charging your account", "pricing_fees"), ("funds being low", "pricing_fees"),
    ("collect debt", "collection_methods"), ("communication tactics", "collection_methods"),
    ("notification about debt", "collection_methods"), ("threaten", "collection_methods"),
    ("false statements", "collection_methods"), ("legal action", "collection_methods"),
    ("improper use", "information_security"), ("share information", "information_security"),
    ("fraud", "funds_security"), ("unauthorized", "funds_security"), ("didn't apply", "funds_security"),
    ("money was taken", "funds_security"), ("stop withdrawals", "funds_security"),
    ("purchase shown", "funds_security"),
    ("terms", "contract_terms"),
)


def business_line(product: str, sub_product: str) -> str:
    """The Kesu business line of a CFPB product (prepaid and gift cards hide under card products)."""
    if any(word in sub_product.lower() for word in ("prepaid", "gift card")):
        return "debit_card"
    label = product.lower()
    return next((code for fragment, code in _PRODUCTS if fragment in label), "other")


def cause(issue: str) -> str:
    """The JR/T cause nearest to a CFPB issue; process problems are the default."""
    lowered = issue.lower()
    return next((code for fragment, code in _ISSUES if fragment in lowered), "rules_process")


def load_rows() -> list[dict]:
    """Every narrative of the shipped slice, with business_line and cause added."""
    raw = resources.files("classifier").joinpath("data/cfpb_dev.csv.gz").read_bytes()
    reader = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    rows = []
    for row in reader:
        if row["narrative"].strip():
            rows.append({"id": f"cfpb-{row['complaint_id']}", "text": row["narrative"], "language": "en",
                         "business_line": business_line(row["product"], row["sub_product"]),
                         "cause": cause(row["issue"])})
    return rows


def _rank(row: dict) -> str:
    return hashlib.sha256(row["id"].encode()).hexdigest()


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, held_out): per business line the lowest-hash 30% (at least one) are held out."""
    by_line: dict[str, list[dict]] = {}
    for row in rows:
        by_line.setdefault(row["business_line"], []).append(row)
    train, held = [], []
    for line in sorted(by_line):
        ranked = sorted(by_line[line], key=_rank)
        cut = max(1, round(len(ranked) * HELDOUT_SHARE)) if len(ranked) > 1 else 0
        held += ranked[:cut]
        train += ranked[cut:]
    # Some consumers filed the same narrative more than once; a copy of a held-out text is not trained on.
    held_texts = {row["text"].strip() for row in held}
    return [row for row in train if row["text"].strip() not in held_texts], held


def balanced(held: list[dict], per_class: int = BALANCED_PER_CLASS) -> list[dict]:
    """A class-balanced sample of the held-out part: up to per_class rows of each line."""
    by_line: dict[str, list[dict]] = {}
    for row in sorted(held, key=_rank):
        by_line.setdefault(row["business_line"], []).append(row)
    return [row for line in sorted(by_line) for row in by_line[line][:per_class]]
