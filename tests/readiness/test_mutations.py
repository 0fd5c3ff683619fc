"""Every automated readiness item fails on a project broken in exactly what it guards.

Each test copies a freshly rendered project, applies one mutation (tests/readiness/
catalogue.py), judges the one item, and asserts it fails with evidence naming the break.
The unmutated project passing the same items: the README tour's `ship` (tests/test_readme_tour.py).
"""

from __future__ import annotations

import re

import pytest

from tests.readiness.catalogue import ALL, DYNAMIC, STATIC
from tests.readiness.mutations import apply, explained, verdict
from workbench.core.readiness.registry import ITEMS

AUTOMATED = [item.id for item in ITEMS if item.kind != "attested"]
# Judged only with `workbench check --model`: its failing case (a dead endpoint) is in
# tests/readiness/test_model_choice.py.
OWN_TESTS = {"reliability.model-reachable"}


def test_every_automated_item_has_a_mutation():
    covered = {mutation.item for mutation in ALL}
    assert sorted(set(AUTOMATED) - covered - OWN_TESTS) == []
    assert sorted(covered - set(AUTOMATED)) == []


def _check(project_copy, mutation) -> None:
    apply(project_copy, mutation)
    result = verdict(project_copy, mutation.item, dynamic=mutation.dynamic)
    text = explained(result)
    assert result.status in mutation.statuses, f"{mutation.id}: {result.status}: {text}"
    assert re.search(mutation.names, text), f"{mutation.id}: evidence does not name it: {text}"


@pytest.mark.parametrize("mutation", STATIC, ids=lambda m: m.id)
def test_static_item_fails_on_its_mutation(project_copy, mutation):
    _check(project_copy, mutation)


@pytest.mark.slow
@pytest.mark.parametrize("mutation", DYNAMIC, ids=lambda m: m.id)
def test_dynamic_item_fails_on_its_mutation(project_copy, mutation):
    _check(project_copy, mutation)
