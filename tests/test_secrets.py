"""Each secret's RandomPasswords by generation (regions/secrets.py), recorded alone."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_random as random
import pytest

from offline.recorder import RecordedStack
from regions.secrets import SecretValues

PASSWORD = "random:index/randomPassword:RandomPassword"


def slots(record: Callable[..., RecordedStack], generations: dict[str, int]) -> RecordedStack:
    def program() -> None:
        values = SecretValues("jwt-secret", "jwt-secret", generations, pulumi.ResourceOptions())
        for generation in generations.values():
            values.value(generation)

    return record(program)


def test_generation_one_is_the_password_the_stack_always_had(record):
    """Same name, same inputs (no keepers at all), so no diff and no replacement."""
    now = slots(record, {"a": 1})
    before = record(lambda: random.RandomPassword("jwt-secret", length=64, special=False))
    (password,) = now.of_type(PASSWORD)
    (original,) = before.of_type(PASSWORD)
    assert (password.urn, password.inputs) == (original.urn, original.inputs)
    assert "keepers" not in password.inputs


def test_a_new_generation_is_a_second_password_with_keepers(record):
    stack = slots(record, {"a": 1, "b": 2})
    by_name = {r.name: r.plain_inputs for r in stack.of_type(PASSWORD)}
    assert "keepers" not in by_name["jwt-secret"]
    assert by_name["jwt-secret-b"]["keepers"] == {"generation": "2"}
    results = {r.name: r.outputs["result"] for r in stack.of_type(PASSWORD)}
    assert results["jwt-secret"] != results["jwt-secret-b"]


def test_the_third_generation_replaces_the_first_in_its_slot(record):
    stack = slots(record, {"a": 3, "b": 2})
    by_name = {r.name: r.plain_inputs for r in stack.of_type(PASSWORD)}
    assert by_name["jwt-secret"]["keepers"] == {"generation": "3"}
    assert by_name["jwt-secret-b"]["keepers"] == {"generation": "2"}


def test_a_generation_not_held_is_an_error():
    values = SecretValues.__new__(SecretValues)
    values.name, values._values = "jwt-secret", {}
    with pytest.raises(ValueError, match="jwt-secret holds generations , not 4"):
        values.value(4)


def test_a_replaced_slot_has_a_new_value(record):
    """The mock runtime makes a new value when the keepers change, as the provider replaces."""

    def result(stack: RecordedStack) -> object:
        return next(r for r in stack.of_type(PASSWORD) if r.name == "jwt-secret").outputs["result"]

    assert result(slots(record, {"a": 1})) != result(slots(record, {"a": 3, "b": 2}))
