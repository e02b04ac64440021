"""Stacks deployed by earlier versions keep every URN, so `pulumi up` after the upgrade
replaces nothing: no SES identity needs a new verification click, no role or key is
recreated. Two earlier versions are held here, each by the committed list of the URNs
its own plans gave (fixtures, `<plan> <qualified type>::<name>`):

1. before AthenzSesNotifications existed: its parts at the stack's root
   (urns-before-athenz-ses-notifications.txt: the committed stacks);
2. one AthenzSesNotifications per stack, its parts with fixed names (`ses`, `zms`,
   `zms-irsa`, ...) where they are now `<component>-ses`, ...
   (urns-before-component-names.txt: every scenario, every committed stack and UPGRADE).

The repository's program sets `upgrade_aliases`: each part carries two aliases to its
earlier name (under the component, and at the root), and the engine carries the alias a
part was found under over to that part's children. offline_plan.aliases replays the
engine's rules on the alias specs our own mock engine records from the SDK; that the
engine keeps to those rules is taken from its source (see that module), not run here.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import CLUSTER, ISSUER, LINKS, SCENARIOS, cfg

from athenz_ses.names import delegated_sender_name
from athenz_ses.notifications import AthenzSesNotifications, AthenzSesNotificationsArgs
from offline_plan.aliases import match
from offline_plan.engine import PROJECT_DIR, Plan, PlannedResource, run_program
from program.settings import PROJECT

COMPONENT = "athenz-ses:index:AthenzSesNotifications"
FIXTURES = PROJECT_DIR / "tests" / "fixtures"
BEFORE_COMPONENT = FIXTURES / "urns-before-athenz-ses-notifications.txt"
BEFORE_NAMES = FIXTURES / "urns-before-component-names.txt"
STACKS = ("dev", "local", "plugin", "prod")

UPGRADE = {
    # What no scenario has: existing-role, both smoke tests, a bounce subscription.
    "upgrade-existing-role": cfg(
        **LINKS,
        aws_region="eu-west-1",
        clusterAccountId=CLUSTER,
        zmsRoleArn=f"arn:aws:iam::{CLUSTER}:role/eks/athenz-zms",
        oidcIssuerUrl=ISSUER,
        emailDomainTo="example.com",
        senderEmail="zms@example.com",
        sandbox=False,
        smokeTest=True,
        bounceNotificationEmails=["mail-admins@example.com"],
        senderServiceAccounts=["mailer/reports"],
    ),
}


@pytest.fixture(scope="module")
def upgrade_plans(every_plan) -> dict[str, Plan]:
    planned = {f"scenario:{name}": run_program(name, config) for name, config in UPGRADE.items()}
    assert all(plan.error is None for plan in planned.values()), planned
    return {**every_plan, **planned}


def earlier_urns(fixture, key: str, plan: Plan) -> set[str]:
    """The URNs the fixture lists for `key`, whole (the plan's stack and project)."""
    lines = [line.split(" ", 1) for line in fixture.read_text().splitlines() if line and not line.startswith("#")]
    return {f"urn:pulumi:{plan.stack}::{PROJECT}::{rest}" for plan_key, rest in lines if plan_key == key}


BEFORE_NAMES_KEYS = [*(f"scenario:{s}" for s in (*SCENARIOS, *UPGRADE)), *(f"stack:{s}" for s in STACKS)]


@pytest.mark.parametrize(
    ("fixture", "key", "fixture_key"),
    [
        *((BEFORE_COMPONENT, f"stack:{stack}", stack) for stack in ("dev", "local", "plugin")),
        *((BEFORE_NAMES, key, key) for key in BEFORE_NAMES_KEYS),
    ],
    ids=lambda value: value.name if hasattr(value, "name") else value,
)
def test_every_earlier_urn_is_found_again(upgrade_plans, fixture, key, fixture_key):
    """Replayed against the earlier version's state, each of its URNs is found by exactly
    one resource of the plan (by an alias: nothing is deleted and created again)."""
    plan = upgrade_plans[key]
    earlier = earlier_urns(fixture, fixture_key, plan)
    assert earlier, f"the fixture lists nothing for {fixture_key}"
    found = match(plan.resources, earlier)
    assert found.problems == []
    assert set(found.found) == earlier, sorted(earlier - set(found.found))
    # The component's parts are all renamed: found under their earlier names, not their own.
    parts = [r for r in plan.resources if r.type != COMPONENT and not r.type.startswith("pulumi:providers:")]
    assert all(r.urn not in earlier for r in parts)


def test_without_the_aliases_the_earlier_urns_are_lost(upgrade_plans):
    """The replay has teeth: with the aliases taken off, the parts are new resources."""
    plan = upgrade_plans["stack:dev"]
    earlier = earlier_urns(BEFORE_NAMES, "stack:dev", plan)
    bare = [dataclasses.replace(r, aliases=[]) for r in plan.resources]
    lost = earlier - set(match(bare, earlier).found)
    assert {u.rsplit("::", 1)[1] for u in lost} >= {"ses", "ses-sender", "zms", "zms-deployment-patch", "zms-irsa-role"}


def renames(r: PlannedResource) -> list[dict]:
    """The resource's aliases to another name or parent (not the type aliases the provider
    SDKs add by themselves, such as DeploymentPatch's of apps/v1beta1)."""
    return [a for a in r.aliases if set(a.get("spec", {})) - {"type", "parentUrn"} or a.get("urn")]


def test_the_parts_and_nothing_else_carry_aliases(upgrade_plans):
    """Each part of the component carries its earlier name twice (under the component, at
    the root); what they hold follows them without aliases of its own."""
    for key, plan in upgrade_plans.items():
        (component,) = plan.of_type(COMPONENT)
        senders = json.loads(plan.config.get("athenz-ses:senderServiceAccounts", "[]"))
        sender_names = {
            delegated_sender_name(*entry.split("/"), component="athenz-ses"): delegated_sender_name(*entry.split("/"))
            for entry in senders
        }
        for r in plan.resources:
            if r.parent != component.urn:
                assert renames(r) == [], (key, r.name)
                continue
            earlier = sender_names.get(r.name) or r.name.removeprefix("athenz-ses-")
            assert r.aliases == [
                {"spec": {"name": earlier, "parentUrn": ""}},
                {"spec": {"name": earlier, "noParent": True}},
            ], (
                key,
                r.name,
            )
            assert r.name != earlier


def test_a_component_without_upgrade_aliases_carries_none(configs):
    """A program of its own (two components, say) gets no alias at all: only the one
    component an earlier version deployed may claim that version's URNs."""

    def program() -> None:
        AthenzSesNotifications(
            "zms-mail",
            AthenzSesNotificationsArgs(
                sender_email="zms@example.com",
                email_domain_to="example.com",
                ses_region="eu-west-1",
                ses_account_id=CLUSTER,
                credentials="irsa",
                oidc_issuer_url=ISSUER,
                sender_service_accounts=["mailer/reports"],
            ),
        )

    plan = run_program("fresh", configs["same-account-irsa"], program=program)
    assert plan.error is None, plan.error
    assert plan.resources and all(renames(r) == [] for r in plan.resources)
    assert {r.name for r in plan.resources} >= {"zms-mail-ses", "zms-mail-zms", "zms-mail-sender-mailer-reports"}
