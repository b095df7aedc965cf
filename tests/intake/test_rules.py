"""Pure rules: identifier checks, the vault's cryptography and masks, rate limits, import parsing."""

from __future__ import annotations

from datetime import date

import pytest

from intake import validation as v
from intake.idempotency import Outcome, Stored, decide, fingerprint
from intake.importer import nest
from intake.ratelimit import RateLimiter
from shared.redaction import redact
from intake.vault import Sealed, Vault, VaultError, blind_index, mask_email, mask_id, mask_name, mask_phone

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "440304199001010011",
                                    "310115200002290021", "650102198512121232"])
def test_valid_resident_ids_pass_with_their_check_digit(number):
    assert v.resident_id(number, today=TODAY) == number.upper()


@pytest.mark.parametrize("number, fragment", [
    ("110105194912310021", "check digit"), ("11010519491331002X", "birth date"),
    ("990105194912310021", "province"), ("1101051949123100", "18 characters"),
    ("110105203012310015", "out of range"), ("310115200102290021", "birth date"),
])
def test_invalid_resident_ids_say_what_is_wrong(number, fragment):
    with pytest.raises(v.InvalidIdentifier, match=fragment):
        v.resident_id(number, today=TODAY)


def test_real_unified_social_credit_codes_pass_and_a_mistyped_one_fails():
    assert v.uscc("914403001922038216") == "914403001922038216"  # published on business licences
    assert v.uscc("91110000802100433B") == "91110000802100433B"
    with pytest.raises(v.InvalidIdentifier, match="check character"):
        v.uscc("914403001922038217")
    with pytest.raises(v.InvalidIdentifier, match="18 characters"):
        v.uscc("91440300192203821I")


@pytest.mark.parametrize("raw, normal", [("138 1234 5678", "13812345678"), ("+86-138-1234-5678", "13812345678"),
                                         ("010-12345678", "01012345678"), ("+85291234567", "+85291234567")])
def test_phone_numbers_are_normalised(raw, normal):
    assert v.phone(raw) == normal


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "+86 12345", "hello"])
def test_bad_phone_numbers_are_rejected(raw):
    with pytest.raises(v.InvalidIdentifier):
        v.phone(raw)


def test_email_syntax():
    assert v.email("Zhang.San@Example.COM") == "Zhang.San@example.com"
    for bad in ("zhang", "a@b", "a b@example.com", "@example.com"):
        with pytest.raises(v.InvalidIdentifier):
            v.email(bad)


def test_sealed_values_open_only_in_their_own_row_and_column():
    vault = Vault({"k1": b"k" * 32}, "k1")
    sealed = vault.seal("13812345678", context="c1:phone")
    assert b"13812345678" not in sealed.blob
    assert vault.open(sealed, context="c1:phone") == "13812345678"
    with pytest.raises(VaultError):
        vault.open(sealed, context="c2:phone")
    with pytest.raises(VaultError):
        vault.open(Sealed("gone", sealed.blob), context="c1:phone")


def test_reseal_moves_a_value_to_the_active_key():
    old = Vault({"k1": b"k" * 32}, "k1").seal("张三", context="c:name")
    both = Vault({"k1": b"k" * 32, "k2": b"n" * 32}, "k2")
    resealed = both.reseal(old, context="c:name")
    assert resealed.key_id == "k2" and Vault({"k2": b"n" * 32}, "k2").open(resealed, context="c:name") == "张三"


def test_blind_indexes_are_keyed_and_kind_separated():
    assert blind_index(b"a", "phone", "13812345678") == blind_index(b"a", "phone", "13812345678")
    assert blind_index(b"a", "phone", "13812345678") != blind_index(b"b", "phone", "13812345678")
    assert blind_index(b"a", "phone", "1") != blind_index(b"a", "customer_id", "1")


def test_masks():
    assert mask_id("110105194912311234") == "110105********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_name("张三") == "张*"


def test_rate_limiter_allows_a_burst_then_asks_to_wait():
    limiter = RateLimiter(default_rate=2, burst_seconds=1)
    assert [limiter.check("k", 0.0) for _ in range(3)] == [0, 0, 1]
    assert limiter.check("k", 0.6) == 0  # refilled 1.2 tokens
    assert limiter.check("other", 0.6) == 0


def test_idempotency_replays_the_same_body_and_conflicts_on_another():
    stored = Stored(fingerprint("complaints", {"a": 1, "b": 2}), 201, {})
    assert decide(stored, fingerprint("complaints", {"b": 2, "a": 1})) is Outcome.REPLAY
    assert decide(stored, fingerprint("complaints", {"a": 2, "b": 2})) is Outcome.CONFLICT


def test_redaction_removes_known_values_and_patterns():
    text = "张三住北京市朝阳区建国路88号，手机13812345678，邮箱a@b.cn"
    assert redact(text, [("张三", "NAME"), ("北京市朝阳区建国路88号", "ADDRESS")]) == \
        "[NAME]住[ADDRESS]，手机[PHONE]，邮箱[EMAIL]"


def test_csv_columns_with_dots_become_nested_objects():
    row = {"channel": "letter", "complainant.name": "张三", "complainant.vulnerability": "elderly|minor",
           "group_size": "3", "agent.name": ""}
    assert nest(row) == {"channel": "letter", "complainant": {"name": "张三", "vulnerability": ["elderly", "minor"]},
                         "group_size": 3}
