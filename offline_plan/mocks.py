"""Mock providers for the offline plan: plausible outputs, and where each resource lives.

Each explicit AWS provider is mapped to the account and Region it is configured for
(allowedAccountIds, else the assumed role's account, else the default credentials'),
so the plan can say where every resource would be created.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml


@dataclass(frozen=True)
class Location:
    account: str
    region: str


KUBERNETES = Location("kubernetes", "-")
COMPONENT = Location("-", "-")


def autoname(name: str) -> str:
    """Pulumi appends 7 random hex characters; the plan uses a stable stand-in."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


# What a look-up of the live ZMS finds, in a plan: the stock Deployment of its layout
# (tests/fixtures, the manifests each layout installs), as another field manager applied it.
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
STOCK_FILES = {"distribution": "athenz-zms-server.yaml", "helm": "athenz-zms-helm.yaml"}
STOCK_DEPLOYMENTS = {"athenz-athenz-zms": "athenz-zms-helm.yaml"}  # else the distribution's


@functools.cache
def _fixture(file: str) -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / file).read_text())


def stock_deployment(layout: str, namespace: str, name: str, container: str) -> dict[str, Any]:
    """The stock Deployment of a ZMS layout under the names a stack gives it."""
    found = copy.deepcopy(_fixture(STOCK_FILES[layout]))
    found["metadata"].update(name=name, namespace=namespace)
    found["spec"]["template"]["spec"]["containers"][0]["name"] = container
    return found


# The objects the package looks up (Resource.get). The SDK's mocks pass an `import_` id
# the same way as a look-up's id; an import is planned like a creation.
READ_TYPES = frozenset({"kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount"})


def read_outputs(typ: str, resource_id: str, live: Mapping[str, dict] | None = None) -> dict[str, Any]:
    """What reading an existing object answers: `live[resource_id]` if given, else ZMS's
    stock Deployment (by its name) or a ServiceAccount without annotations."""
    if live and resource_id in live:
        return copy.deepcopy(live[resource_id])
    namespace, _, name = resource_id.partition("/")
    if typ == "kubernetes:apps/v1:Deployment":
        found = copy.deepcopy(_fixture(STOCK_DEPLOYMENTS.get(name, "athenz-zms-server.yaml")))
        found["metadata"].update(name=name, namespace=namespace)
        return found
    if typ == "kubernetes:core/v1:ServiceAccount":
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}
    raise ValueError(f"the plan cannot read an existing {typ} ({resource_id})")


def plausible_outputs(typ: str, name: str, inputs: dict[str, Any], where: Location) -> tuple[str, dict[str, Any]]:
    """The id and outputs a provider would answer for a resource of `typ` (the types the
    package creates; any other keeps its inputs), with ARNs in `where`'s account and Region."""
    if typ.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        if "name" not in meta:  # the provider auto-names it like any Pulumi resource
            meta = {**meta, "name": autoname(name)}
        return f"{meta.get('namespace', '')}/{meta['name']}", {**inputs, "metadata": meta}
    iam = f"arn:aws:iam::{where.account}"
    if typ == "aws:sesv2/configurationSet:ConfigurationSet":
        set_name = inputs["configurationSetName"]
        arn = f"arn:aws:ses:{where.region}:{where.account}:configuration-set/{set_name}"
        return set_name, {**inputs, "arn": arn}
    if typ == "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination":
        # The provider's id: <configuration set name>|<event destination name>.
        return f"{inputs['configurationSetName']}|{inputs['eventDestinationName']}", inputs
    if typ == "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes":
        return where.account, inputs  # one per account (and Region): its id is the account
    if typ == "aws:sns/topic:Topic":
        topic = inputs.get("name") or autoname(name)
        arn = f"arn:aws:sns:{where.region}:{where.account}:{topic}"
        return arn, {**inputs, "name": topic, "arn": arn}
    if typ == "aws:sns/topicPolicy:TopicPolicy":
        return inputs["arn"], inputs
    if typ == "aws:sns/topicSubscription:TopicSubscription":
        # An email subscription waits for its recipient's click (SNS's `pending confirmation`).
        arn = f"{inputs['topic']}:{hashlib.sha256(name.encode()).hexdigest()[:8]}-mock"
        pending = inputs.get("protocol") in ("email", "email-json")
        return arn, {**inputs, "arn": arn, "pendingConfirmation": pending}
    if typ == "aws:iam/role:Role":
        role = inputs.get("name") or autoname(name)
        return role, {**inputs, "name": role, "arn": f"{iam}:role{inputs.get('path') or '/'}{role}"}
    if typ == "aws:iam/user:User":
        user = inputs.get("name") or autoname(name)
        return user, {**inputs, "name": user, "arn": f"{iam}:user{inputs.get('path', '/')}{user}"}
    if typ == "aws:iam/accessKey:AccessKey":
        # Shaped like an access key id, and obviously fake (AWS's documentation suffix).
        key_id = "AKIA" + hashlib.sha256(name.encode()).hexdigest()[:9].upper() + "EXAMPLE"
        return key_id, {**inputs, "secret": "mock-secret-access-key", "sesSmtpPasswordV4": "mock-smtp-password"}
    if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        arn = f"{iam}:oidc-provider/{inputs['url'].removeprefix('https://')}"
        return arn, {**inputs, "arn": arn}
    if typ == "aws:sesv2/emailIdentity:EmailIdentity":
        email = inputs["emailIdentity"]
        arn = f"arn:aws:ses:{where.region}:{where.account}:identity/{email}"
        if "@" in email:
            return email, {**inputs, "arn": arn, "identityType": "EMAIL_ADDRESS"}
        # A domain: Easy DKIM's three tokens (32 characters each), pending until SES sees the CNAMEs.
        tokens = [hashlib.sha256(f"{email}/{i}".encode()).hexdigest()[:32] for i in range(3)]
        dkim = {**(inputs.get("dkimSigningAttributes") or {}), "tokens": tokens, "status": "PENDING"}
        return email, {**inputs, "arn": arn, "identityType": "DOMAIN", "dkimSigningAttributes": dkim}
    if typ == "aws:route53/record:Record":
        # The provider's id: <zone id>_<name>_<type>.
        return f"{inputs['zoneId']}_{inputs['name']}_{inputs['type']}", {**inputs, "fqdn": inputs["name"]}
    return f"{name}-id", inputs


def _list(value: Any) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return list(value or [])


class PlanMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        default_region: str,
        caller_account_id: str,
        hosted_zones: Mapping[str, str] | None = None,
        live: Mapping[str, dict] | None = None,
    ):
        self.default = Location(caller_account_id, default_region)
        self.live = dict(live or {})
        """namespace/name -> the object a look-up of it finds (default: read_outputs' stock ones)."""
        self.hosted_zones = dict(hosted_zones or {})
        """zone id -> zone name, what route53.getZone answers (the plan cannot look a zone up)."""
        self.providers: dict[str, Location] = {}
        self.calls: list[tuple[str, dict, Location]] = []
        self.reads: list[tuple[str, str]] = []
        """The existing objects the program read (type, id): ZMS's Deployment and ServiceAccount."""

    def location_of(self, type_: str, provider_ref: str | None, custom: bool = True, id_: str = "") -> Location:
        """Where a resource (or a provider function call) lives: its provider's target."""
        if type_.startswith("kubernetes:") or type_.startswith("pulumi:providers:kubernetes"):
            return KUBERNETES
        if not custom:
            return COMPONENT
        if type_ == "pulumi:providers:aws":
            return self.providers[id_]
        if not provider_ref:
            return self.default
        return self.providers.get(provider_ref.rsplit("::", 1)[-1], self.default)

    # --- resources ------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        if args.resource_id and args.typ in READ_TYPES:  # a look-up of an existing object (Resource.get)
            self.reads.append((args.typ, args.resource_id))
            return args.resource_id, read_outputs(args.typ, args.resource_id, self.live)
        if args.typ == "pulumi:providers:aws":
            provider_id = f"{args.name}-provider-id"
            self.providers[provider_id] = self._provider_location(inputs)
            return provider_id, inputs
        return plausible_outputs(args.typ, args.name, inputs, self.location_of(args.typ, args.provider))

    def _provider_location(self, inputs: dict) -> Location:
        allowed = _list(inputs.get("allowedAccountIds"))
        roles = _list(inputs.get("assumeRoles"))
        role_arn = roles[0].get("roleArn") if roles and isinstance(roles[0], dict) else None
        account = allowed[0] if allowed else role_arn.split(":")[4] if role_arn else self.default.account
        return Location(account, inputs.get("region") or self.default.region)

    # --- provider functions ---------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs):
        where = self.location_of(args.token, args.provider)
        self.calls.append((args.token, dict(args.args), where))
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": where.account,
                "arn": f"arn:aws:iam::{where.account}:user/plan",
                "userId": "AIDAPLAN",
                "id": where.account,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if args.token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            url = args.args["url"]
            host = url.removeprefix("https://")
            return {
                "arn": f"arn:aws:iam::{where.account}:oidc-provider/{host}",
                "url": host,
                "clientIdLists": ["sts.amazonaws.com"],
                "id": host,
            }
        if args.token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            issuer = f"https://oidc.eks.{where.region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
            return {
                "name": name,
                "id": name,
                "endpoint": f"https://EXAMPLE.gr7.{where.region}.eks.amazonaws.com",
                "arn": f"arn:aws:eks:{where.region}:{where.account}:cluster/{name}",
                "certificateAuthorities": [{"data": "LS0tLS1CRUdJTi1FWEFNUExFLS0tLS0="}],
                "identities": [{"oidcs": [{"issuer": issuer}]}],
            }
        if args.token == "aws:route53/getZone:getZone" and args.args.get("zoneId") in self.hosted_zones:
            zone_id = args.args["zoneId"]
            return {"zoneId": zone_id, "name": self.hosted_zones[zone_id], "id": zone_id, "privateZone": False}
        raise NotImplementedError(f"the offline plan has no mock for {args.token}")
