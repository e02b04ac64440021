"""Stacks deployed before AthenzSesNotifications existed registered its parts at the
stack's root. Each part now carries an alias to that root URN (children follow their
parent's alias), so `pulumi up` after the upgrade replaces nothing: no SES identity
needs a new verification click, no role or key is recreated. Our own mock engine
records the alias specs the SDK sends."""

from __future__ import annotations

import pytest

from offline_plan.engine import PROJECT_DIR

COMPONENT = "athenz-ses:index:AthenzSesNotifications"
ROOT_ALIAS = {"spec": {"noParent": True}}


@pytest.mark.parametrize(
    "name", ["scenario:same-account-irsa", "scenario:cross-sending-authorization", "scenario:kind-smtp", "stack:dev"]
)
def test_every_part_of_the_component_keeps_its_root_urn(every_plan, name):
    plan = every_plan[name]
    (component,) = plan.of_type(COMPONENT)
    parts = [r for r in plan.resources if r.parent == component.urn]
    assert parts, "the component has no children"
    for part in parts:
        assert part.aliases == [ROOT_ALIAS], (part.type, part.name, part.aliases)
    # The names did not change either: an alias keeps the name it does not mention.
    assert {p.name for p in parts} >= {"ses", "zms"}


def test_nothing_but_the_parts_is_aliased_to_the_root(every_plan):
    for plan in every_plan.values():
        (component,) = plan.of_type(COMPONENT)
        rooted = [r.name for r in plan.resources if ROOT_ALIAS in r.aliases and r.parent != component.urn]
        assert rooted == []


BEFORE = PROJECT_DIR / "tests" / "fixtures" / "urns-before-athenz-ses-notifications.txt"


@pytest.mark.parametrize("stack", ["dev", "local", "plugin"])
def test_the_aliases_lead_every_resource_back_to_its_urn_of_the_previous_version(stack_plans, stack):
    """Each resource's URN, with its alias applied (the component's type taken off the
    chain), is the URN the previous version gave it: the committed list of that version
    (fixture), generated from its own plans. Renaming a part, or a type token, fails here."""
    before = {line.split(" ", 1)[1] for line in BEFORE.read_text().splitlines() if line.startswith(f"{stack} ")}
    plan = stack_plans[stack]
    after = {r.urn.split("::", 2)[2].removeprefix(f"{COMPONENT}$") for r in plan.resources if r.type != COMPONENT}
    assert before and after == before, (sorted(after - before), sorted(before - after))
