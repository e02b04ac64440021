"""A mock of the engine for unit tests of programs that use athenz_ses.

`AthenzSesMocks` is a `pulumi.runtime.Mocks`: under `pulumi.runtime.set_mocks` it answers
every provider function the components call (getCallerIdentity, getPartition,
eks.getCluster, iam.getOpenIdConnectProvider, route53.getZone), the reads of ZMS's live
Deployment and of the ServiceAccount it runs as (`Deployment.get`, `ServiceAccount.get`:
by default the stock Deployment of ZMS's layout, running as `default`), and gives every
resource plausible outputs: ARNs in the account, Region and partition of the resource's
AWS provider (an explicit provider's `allowed_account_ids`, else its assumed role's
account, else `account_id`), IAM ARNs with their path, made-up ids, Easy DKIM tokens. It
records every resource and call, with small helpers to read them (`of_type`, `one`,
`types`, `calls_of`, `reads`).

It is the weakest kind of proof: it shows what the components send to the engine (which
resources, with which inputs, which look-ups), never what AWS or Kubernetes would do with
it. The outputs are stand-ins written here, not the providers' answers; a wrong policy
that AWS would refuse passes here. Resource options (retain_on_delete, depends_on, ...)
never reach a mock (the SDK's Mocks API does not pass them).

Use it like any Pulumi mock (pytest)::

    import json, pulumi, pytest
    from athenz_ses.testing import AthenzSesMocks
    import zms_mail  # your program: a main() that creates AthenzSesNotifications

    @pytest.fixture
    def mocks():
        mocks = AthenzSesMocks(account_id="111111111111", region="eu-west-1")
        pulumi.runtime.set_mocks(mocks, project="zms-mail", stack="test", preview=False)
        return mocks

    def test_zms_sends_as_its_sender_only(mocks):
        pulumi.runtime.test(zms_mail.main)()  # runs it, waits for every registration
        policy = json.loads(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
        assert policy["Statement"][0]["Condition"]["StringEquals"]["ses:FromAddress"] == ["zms@example.com"]

A program that reads stack config gets it from `pulumi.runtime.set_all_config` (before
set_mocks); the repository's examples/testing is a whole example, with its config.

Constructor args: `account_id` and `region` (the default AWS provider's, and what
getCallerIdentity answers), `partition` (getPartition, and every ARN), `zone_name` (what
route53.getZone answers for any zone; `hosted_zones` maps zone ids to names and takes
precedence; `zone_name=None` makes an unknown zone an error) and `live` (`namespace/name`
-> the object a read of ZMS's Deployment or ServiceAccount finds; `stock_deployment`
builds ZMS's stock Deployment under other names). Secret inputs reach a mock in the
resource protocol's secret envelope: `revealed` opens it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from athenz_ses.zms_wiring import LAYOUTS

__all__ = [
    "ACCOUNT_ID",
    "COMPONENT",
    "KUBERNETES",
    "READ_TYPES",
    "REGION",
    "STOCK_FILES",
    "AthenzSesMocks",
    "Location",
    "Registered",
    "autoname",
    "plausible_outputs",
    "read_outputs",
    "revealed",
    "stock_deployment",
]

ACCOUNT_ID = "111111111111"
"""The default account (the default AWS provider's, what getCallerIdentity answers)."""
REGION = "us-east-1"
"""The default Region (the default AWS provider's)."""
EKS_ISSUER_ID = "EXAMPLED539D4633E53DE1B71EXAMPLE"
"""The id in the OIDC issuer URL eks.getCluster answers (oidc.eks.<region>.amazonaws.com/id/<id>)."""


@dataclass(frozen=True)
class Location:
    """Where a resource (or a provider function call) lives: its provider's account and Region."""

    account: str
    region: str


KUBERNETES = Location("kubernetes", "-")
"""The location of every Kubernetes object (its cluster is not an AWS account)."""
COMPONENT = Location("-", "-")
"""The location of a component resource (it lives nowhere: its children do)."""


def autoname(name: str) -> str:
    """Pulumi appends 7 random hex characters to an auto-named resource; the mock uses a
    stable stand-in of the same shape."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


# --- ZMS as a read of the cluster finds it ------------------------------------------------

STOCK = Path(__file__).resolve().parent / "stock"
"""The stock Deployment of each ZMS layout: the manifests each layout installs, as the
patch finds them (applied by another field manager)."""
STOCK_FILES = {"distribution": "athenz-zms-server.yaml", "helm": "athenz-zms-helm.yaml"}
"""The stock Deployment's manifest of each layout of `athenz_ses.zms_wiring.LAYOUTS`."""
# A read of ZMS's Deployment by a layout's default name finds that layout's; any other name the distribution's.
_STOCK_BY_DEPLOYMENT = {LAYOUTS[layout].deployment: file for layout, file in STOCK_FILES.items()}


@functools.cache
def _stock(file: str) -> dict[str, Any]:
    return yaml.safe_load((STOCK / file).read_text())


def stock_deployment(layout: str, namespace: str, name: str, container: str) -> dict[str, Any]:
    """The stock Deployment of a ZMS layout (`distribution`, `helm`) under the names a
    program gives it, as `live` of AthenzSesMocks takes it: `{"<namespace>/<name>": ...}`."""
    found = copy.deepcopy(_stock(STOCK_FILES[layout]))
    found["metadata"].update(name=name, namespace=namespace)
    found["spec"]["template"]["spec"]["containers"][0]["name"] = container
    return found


READ_TYPES = frozenset({"kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount"})
"""The objects the package looks up (`Resource.get`). The SDK's mocks pass an `import_` id
the same way as a look-up's id; an import of another type is mocked like a creation."""


def read_outputs(typ: str, resource_id: str, live: Mapping[str, dict] | None = None) -> dict[str, Any]:
    """What reading an existing object answers: `live[resource_id]` if given, else ZMS's
    stock Deployment (of the layout whose default name it has, else the distribution's)
    or a ServiceAccount without annotations."""
    if live and resource_id in live:
        return copy.deepcopy(live[resource_id])
    namespace, _, name = resource_id.partition("/")
    if typ == "kubernetes:apps/v1:Deployment":
        found = copy.deepcopy(_stock(_STOCK_BY_DEPLOYMENT.get(name, STOCK_FILES["distribution"])))
        found["metadata"].update(name=name, namespace=namespace)
        return found
    if typ == "kubernetes:core/v1:ServiceAccount":
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}
    raise ValueError(f"the mock cannot read an existing {typ} ({resource_id})")


# --- what the providers would answer --------------------------------------------------------


def _suffix(name: str, length: int) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def plausible_outputs(
    typ: str, name: str, inputs: dict[str, Any], where: Location, partition: str = "aws"
) -> tuple[str, dict[str, Any]]:
    """The id and outputs a provider would answer for a resource of `typ` (the types the
    package creates; any other keeps its inputs, with id `<name>-id`), with ARNs in
    `where`'s account and Region of `partition`."""
    if typ.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        if "name" not in meta:  # the provider auto-names it like any Pulumi resource
            meta = {**meta, "name": autoname(name)}
        return f"{meta.get('namespace', '')}/{meta['name']}", {**inputs, "metadata": meta}
    iam = f"arn:{partition}:iam::{where.account}"
    ses = f"arn:{partition}:ses:{where.region}:{where.account}"
    if typ == "aws:sesv2/configurationSet:ConfigurationSet":
        set_name = inputs["configurationSetName"]
        return set_name, {**inputs, "arn": f"{ses}:configuration-set/{set_name}"}
    if typ == "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination":
        # The provider's id: <configuration set name>|<event destination name>.
        return f"{inputs['configurationSetName']}|{inputs['eventDestinationName']}", inputs
    if typ == "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes":
        return where.account, inputs  # one per account (and Region): its id is the account
    if typ == "aws:sns/topic:Topic":
        topic = inputs.get("name") or autoname(name)
        arn = f"arn:{partition}:sns:{where.region}:{where.account}:{topic}"
        return arn, {**inputs, "name": topic, "arn": arn}
    if typ == "aws:sns/topicPolicy:TopicPolicy":
        return inputs["arn"], inputs
    if typ == "aws:sns/topicSubscription:TopicSubscription":
        # An email subscription waits for its recipient's click (SNS's `pending confirmation`).
        arn = f"{inputs['topic']}:{_suffix(name, 8)}-mock"
        pending = inputs.get("protocol") in ("email", "email-json")
        return arn, {**inputs, "arn": arn, "pendingConfirmation": pending}
    if typ == "aws:iam/role:Role":
        role = inputs.get("name") or autoname(name)
        return role, {**inputs, "name": role, "arn": f"{iam}:role{inputs.get('path') or '/'}{role}"}
    if typ == "aws:iam/user:User":
        user = inputs.get("name") or autoname(name)
        return user, {**inputs, "name": user, "arn": f"{iam}:user{inputs.get('path', '/')}{user}"}
    if typ in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy"):
        # The provider's id: <role or user name>:<policy name>.
        owner = inputs["role"] if typ == "aws:iam/rolePolicy:RolePolicy" else inputs["user"]
        policy = inputs.get("name") or autoname(name)
        return f"{owner}:{policy}", {**inputs, "name": policy}
    if typ == "aws:iam/accessKey:AccessKey":
        # Shaped like an access key id, and obviously fake (AWS's documentation suffix).
        key_id = "AKIA" + _suffix(name, 9).upper() + "EXAMPLE"
        return key_id, {**inputs, "secret": "mock-secret-access-key", "sesSmtpPasswordV4": "mock-smtp-password"}
    if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        arn = f"{iam}:oidc-provider/{inputs['url'].removeprefix('https://')}"
        return arn, {**inputs, "arn": arn}
    if typ == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
        cluster, association = inputs["clusterName"], f"a-{_suffix(name, 17)}"
        arn = f"arn:{partition}:eks:{where.region}:{where.account}:podidentityassociation/{cluster}/{association}"
        return association, {**inputs, "associationId": association, "associationArn": arn}
    if typ == "aws:sesv2/emailIdentity:EmailIdentity":
        email = inputs["emailIdentity"]
        arn = f"{ses}:identity/{email}"
        if "@" in email:
            return email, {**inputs, "arn": arn, "identityType": "EMAIL_ADDRESS"}
        # A domain: Easy DKIM's three tokens (32 characters each), pending until SES sees the CNAMEs.
        tokens = [_suffix(f"{email}/{i}", 32) for i in range(3)]
        dkim = {**(inputs.get("dkimSigningAttributes") or {}), "tokens": tokens, "status": "PENDING"}
        return email, {**inputs, "arn": arn, "identityType": "DOMAIN", "dkimSigningAttributes": dkim}
    if typ == "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes":
        return inputs["emailIdentity"], inputs
    if typ == "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy":
        # The provider's id: <identity>|<policy name>.
        return f"{inputs['emailIdentity']}|{inputs['policyName']}", inputs
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


# --- the mock ------------------------------------------------------------------------------


@dataclass
class Registered:
    """One resource as `new_resource` received it, with what the mock answered."""

    typ: str
    name: str
    inputs: dict[str, Any]
    """As the engine sent them (wire names, camelCase; secrets in their envelope: `revealed`)."""
    provider: str | None
    """The provider reference (`<provider URN>::<id>`), None for the default provider."""
    custom: bool | None
    """False for a component (as the SDK types it: MockResourceArgs.custom is Optional[bool])."""
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    location: Location = COMPONENT
    """The account and Region of its provider (KUBERNETES, or COMPONENT for a component)."""


class AthenzSesMocks(pulumi.runtime.Mocks):
    """See the module docstring. Records every resource (`resources`), provider function
    call (`calls`: token, args, location) and read of an existing object (`reads`)."""

    def __init__(
        self,
        account_id: str = ACCOUNT_ID,
        region: str = REGION,
        *,
        partition: str = "aws",
        zone_name: str | None = "example.com.",
        hosted_zones: Mapping[str, str] | None = None,
        live: Mapping[str, dict] | None = None,
    ):
        self.account_id = account_id
        self.region = region
        self.partition = partition
        """What getPartition answers, and the partition of every ARN."""
        self.zone_name = zone_name
        """What route53.getZone answers for a zone not in `hosted_zones` (None: an error)."""
        self.hosted_zones = dict(hosted_zones or {})
        """zone id -> zone name, what route53.getZone answers for that zone."""
        self.live = dict(live or {})
        """namespace/name -> the object a read of it finds (default: read_outputs' stock ones)."""
        self.resources: list[Registered] = []
        self.calls: list[tuple[str, dict, Location]] = []
        self.reads: list[tuple[str, str]] = []
        """The existing objects the program read (type, namespace/name): ZMS's Deployment and ServiceAccount."""
        self.providers: dict[str, Location] = {}
        """provider id -> the account and Region of each explicit AWS provider."""

    @property
    def default(self) -> Location:
        """Where the default AWS provider puts resources."""
        return Location(self.account_id, self.region)

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
            resource_id, outputs = f"{args.name}-provider-id", inputs
            self.providers[resource_id] = self._provider_location(inputs)
        else:
            where = self.location_of(args.typ, args.provider)
            resource_id, outputs = plausible_outputs(args.typ, args.name, inputs, where, self.partition)
        location = self.location_of(args.typ, args.provider, args.custom is not False, resource_id)
        self.resources.append(
            Registered(args.typ, args.name, inputs, args.provider, args.custom, resource_id, outputs, location)
        )
        return resource_id, outputs

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
        partition = self.partition
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": where.account,
                "arn": f"arn:{partition}:iam::{where.account}:user/mock",
                "userId": "AIDAMOCK",
                "id": where.account,
            }
        if args.token == "aws:index/getPartition:getPartition":
            suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
            return {"partition": partition, "dnsSuffix": suffix, "id": partition}
        if args.token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
            host = args.args["url"].removeprefix("https://")
            return {
                "arn": f"arn:{partition}:iam::{where.account}:oidc-provider/{host}",
                "url": host,
                "clientIdLists": ["sts.amazonaws.com"],
                "id": host,
            }
        if args.token == "aws:eks/getCluster:getCluster":
            name = args.args["name"]
            issuer = f"https://oidc.eks.{where.region}.amazonaws.com/id/{EKS_ISSUER_ID}"
            return {
                "name": name,
                "id": name,
                "endpoint": f"https://EXAMPLE.gr7.{where.region}.eks.amazonaws.com",
                "arn": f"arn:{partition}:eks:{where.region}:{where.account}:cluster/{name}",
                "certificateAuthorities": [{"data": "LS0tLS1CRUdJTi1FWEFNUExFLS0tLS0="}],
                "identities": [{"oidcs": [{"issuer": issuer}]}],
            }
        if args.token == "aws:route53/getZone:getZone":
            zone_id = args.args.get("zoneId")
            zone = self.hosted_zones.get(zone_id) if zone_id else None
            zone = zone or self.zone_name
            if zone_id and zone:
                return {"zoneId": zone_id, "name": zone, "id": zone_id, "privateZone": False}
        raise NotImplementedError(f"{type(self).__name__} has no answer for {args.token} ({dict(args.args)})")

    # --- what a test reads after the run --------------------------------------------------
    def of_type(self, typ: str) -> list[Registered]:
        """Every resource of this type, in the order they were registered."""
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Registered:
        """The one resource of this type (fails if there are none or several)."""
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        """The types of the custom resources (components excluded)."""
        return {r.typ for r in self.resources if r.custom}

    def calls_of(self, token: str) -> list[dict]:
        """The args of every call of this provider function."""
        return [args for t, args, _ in self.calls if t == token]
