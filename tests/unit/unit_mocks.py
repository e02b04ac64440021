"""The shared mock of the unit tests: each component built alone under the Pulumi SDK's
documented unit-testing mechanism (`pulumi.runtime.Mocks`, `set_mocks`, `test`).

These are "our own mock" tests, the weakest kind of proof: they show what a component
sends to the engine (which resources, with which inputs, which provider functions it
calls), never what AWS or Kubernetes would do with it. The outputs below are plausible
stand-ins written here, not the providers' answers.

What the SDK's Mocks API does not show: resource options (retain_on_delete,
depends_on, replace_on_changes, ...) never reach `new_resource`. Secret inputs reach it
in the resource protocol's secret envelope (see `revealed`); tests here read through
it and assert nothing about secretness (not public API; other tests cover it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from offline_plan.mocks import READ_TYPES, Location, plausible_outputs, read_outputs
from policy_pack.policy_reader import as_list as as_list  # re-exported: the unit tests read values with it
from policy_pack.policy_reader import parse, statements

PROJECT = "athenz-ses"
STACK = "unit"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ISSUER_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER = f"https://{ISSUER_HOST}"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"


@dataclass
class Registered:
    """One resource as `new_resource` received it."""

    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool | None
    """As the SDK types it (MockResourceArgs.custom: Optional[bool]); its mock engine
    passes a bool."""


class UnitMocks(pulumi.runtime.Mocks):
    """Records every resource and provider-function call; answers with plausible values."""

    def __init__(self) -> None:
        self.resources: list[Registered] = []
        self.calls: list[tuple[str, dict]] = []
        self.partition = "aws"  # what getPartition answers; a test may set another
        self.zone_name = "example.com."  # what route53.getZone answers; a test may set another
        self.reads: list[tuple[str, str]] = []  # (type, namespace/name) of each look-up
        self.live: dict[str, dict] = {}  # namespace/name -> what a look-up finds; a test may set one

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        if args.resource_id and args.typ in READ_TYPES:  # a look-up (Resource.get), not a resource of ours
            self.reads.append((args.typ, args.resource_id))
            return args.resource_id, read_outputs(args.typ, args.resource_id, self.live)
        self.resources.append(Registered(args.typ, args.name, inputs, args.provider, args.custom))
        return plausible_outputs(args.typ, args.name, inputs, Location(ACCOUNT, REGION))

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "dnsSuffix": "amazonaws.com", "id": self.partition}
        if args.token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            host = args.args["url"].removeprefix("https://")
            return {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}", "url": host, "id": host}
        if args.token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            return {"name": name, "id": name, "arn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{name}"}
        if args.token == "aws:route53/getZone:getZone":
            zone_id = args.args["zoneId"]
            return {"zoneId": zone_id, "name": self.zone_name, "id": zone_id, "privateZone": False}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/unit",
                "userId": "AIDAUNIT",
                "id": ACCOUNT,
            }
        raise NotImplementedError(f"no unit mock for {args.token}")

    # --- what a test reads after the run --------------------------------------------------
    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        """The types of the custom resources (components excluded)."""
        return {r.typ for r in self.resources if r.custom}

    def calls_of(self, token: str) -> list[dict]:
        return [args for t, args in self.calls if t == token]


def statement(document: str) -> dict:
    """The one statement of a policy document (every document here has one)."""
    parsed = parse(document)
    assert parsed is not None, document
    found = statements(parsed)
    assert len(found) == 1, found
    return dict(found[0])


def revealed(value: Any) -> Any:
    """The value with every secret envelope opened.

    The SDK's mock engine (pulumi 3.272.0) hands `new_resource` a secret input as the
    resource protocol's envelope, `{<signature key>: <secret signature>, "value": v}`;
    this returns v (recursively) and says nothing about whether it was secret."""
    if isinstance(value, dict):
        if (
            len(value) == 2
            and "value" in value
            and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in value if key != "value")
        ):
            return revealed(value["value"])
        return {key: revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revealed(item) for item in value]
    return value
