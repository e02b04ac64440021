"""What the deploying credentials need: an IAM identity policy per AWS account, from a Plan.

For each account the plan puts AWS resources in (or calls a provider function in), one
policy document that lets the credentials of that account run `pulumi preview`,
`pulumi up` and `pulumi destroy` of exactly the planned stack: for every planned resource
type the actions its provider (pulumi-aws, the Terraform AWS provider) calls to create,
read, update, tag and delete it, and for every provider function its read action, each
on the ARNs (or ARN patterns) the plan gives. For each role a provider assumes
(sesRoleArn, hostedZoneRoleArn), a trust policy that lets the cluster account's deploying
principal assume it.

ACTIONS is the one table (resource type or function token -> actions); NO_RESOURCE_LEVEL
lists the actions granted on `*`, each with why. A type the table does not know raises
UnknownTypeError: a new resource type cannot slip into a stack without its permissions.
Roles and users are granted under their own IAM path and, when the plan gives them a
permissions boundary, may be created or get a boundary only with that one (BOUNDED).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from offline_plan.aliases import earlier_names
from offline_plan.engine import Plan, PlannedResource, Secret, reveal
from program.settings import PROJECT

PARTITION = "aws"
TF = "terraform-provider-aws internal/service/"


class Needs(NamedTuple):
    """The actions one resource type needs: `actions` for preview, create, import, read,
    update and tagging; `delete` only where `pulumi destroy` really deletes it (not for
    resources kept on destroy: retain_on_delete, or adopted with import)."""

    actions: tuple[str, ...]
    delete: tuple[str, ...] = ()


_TAGS_SES = ("ses:TagResource", "ses:UntagResource", "ses:ListTagsForResource")
_TAGS_SNS = ("sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource")

# The one table. Each entry names the provider file whose API calls it lists (the
# Terraform AWS provider that pulumi-aws wraps; tags through the service's generated
# tags_gen.go) and the Service Authorization Reference page that names the IAM actions
# (https://docs.aws.amazon.com/service-authorization/latest/reference/ list_amazon...).
ACTIONS: dict[str, Needs] = {
    # sesv2/email_identity.go: CreateEmailIdentity, GetEmailIdentity,
    # PutEmailIdentityConfigurationSetAttributes, PutEmailIdentityDkimSigningAttributes,
    # DeleteEmailIdentity; sesv2/tags_gen.go. SAR: Amazon SES.
    "aws:sesv2/emailIdentity:EmailIdentity": Needs(
        (
            "ses:CreateEmailIdentity",
            "ses:GetEmailIdentity",
            "ses:PutEmailIdentityConfigurationSetAttributes",
            "ses:PutEmailIdentityDkimSigningAttributes",
            *_TAGS_SES,
        ),
        ("ses:DeleteEmailIdentity",),
    ),
    # sesv2/email_identity_policy.go: CreateEmailIdentityPolicy, GetEmailIdentityPolicies,
    # UpdateEmailIdentityPolicy, DeleteEmailIdentityPolicy. SAR: Amazon SES.
    "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy": Needs(
        ("ses:CreateEmailIdentityPolicy", "ses:GetEmailIdentityPolicies", "ses:UpdateEmailIdentityPolicy"),
        ("ses:DeleteEmailIdentityPolicy",),
    ),
    # sesv2/email_identity_mail_from_attributes.go: PutEmailIdentityMailFromAttributes
    # (create, update, and delete, which resets it), GetEmailIdentity. SAR: Amazon SES.
    "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes": Needs(
        ("ses:PutEmailIdentityMailFromAttributes", "ses:GetEmailIdentity"),
    ),
    # sesv2/configuration_set.go: CreateConfigurationSet, GetConfigurationSet,
    # PutConfigurationSet{Delivery,Reputation,Sending,Suppression,Tracking}Options,
    # DeleteConfigurationSet; sesv2/tags_gen.go. SAR: Amazon SES.
    "aws:sesv2/configurationSet:ConfigurationSet": Needs(
        (
            "ses:CreateConfigurationSet",
            "ses:GetConfigurationSet",
            "ses:PutConfigurationSetDeliveryOptions",
            "ses:PutConfigurationSetReputationOptions",
            "ses:PutConfigurationSetSendingOptions",
            "ses:PutConfigurationSetSuppressionOptions",
            "ses:PutConfigurationSetTrackingOptions",
            *_TAGS_SES,
        ),
        ("ses:DeleteConfigurationSet",),
    ),
    # sesv2/configuration_set_event_destination.go: CreateConfigurationSetEventDestination,
    # GetConfigurationSetEventDestinations, UpdateConfigurationSetEventDestination,
    # DeleteConfigurationSetEventDestination. SAR: Amazon SES.
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": Needs(
        (
            "ses:CreateConfigurationSetEventDestination",
            "ses:GetConfigurationSetEventDestinations",
            "ses:UpdateConfigurationSetEventDestination",
        ),
        ("ses:DeleteConfigurationSetEventDestination",),
    ),
    # sesv2/account_suppression_attributes.go: PutAccountSuppressionAttributes, GetAccount
    # (read); delete is a no-op (framework.WithNoOpDelete). SAR: Amazon SES.
    "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes": Needs(
        ("ses:PutAccountSuppressionAttributes", "ses:GetAccount"),
    ),
    # sns/topic.go: CreateTopic, GetTopicAttributes, SetTopicAttributes, DeleteTopic;
    # sns/tags_gen.go. SAR: Amazon SNS.
    "aws:sns/topic:Topic": Needs(
        ("sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", *_TAGS_SNS),
        ("sns:DeleteTopic",),
    ),
    # sns/topic_policy.go: SetTopicAttributes (Policy; delete writes the default policy
    # back), GetTopicAttributes. SAR: Amazon SNS.
    "aws:sns/topicPolicy:TopicPolicy": Needs(("sns:SetTopicAttributes", "sns:GetTopicAttributes")),
    # sns/topic_subscription.go: Subscribe, GetSubscriptionAttributes,
    # SetSubscriptionAttributes, ListSubscriptionsByTopic (a subscription pending
    # confirmation), Unsubscribe. SAR: Amazon SNS.
    "aws:sns/topicSubscription:TopicSubscription": Needs(
        (
            "sns:Subscribe",
            "sns:GetSubscriptionAttributes",
            "sns:SetSubscriptionAttributes",
            "sns:ListSubscriptionsByTopic",
        ),
        ("sns:Unsubscribe",),
    ),
    # iam/role.go: CreateRole, GetRole, ListRolePolicies, GetRolePolicy,
    # ListAttachedRolePolicies (read), UpdateAssumeRolePolicy, UpdateRoleDescription,
    # UpdateRole, TagRole, UntagRole, ListInstanceProfilesForRole and DeleteRole (delete).
    # SAR: AWS Identity and Access Management (IAM).
    "aws:iam/role:Role": Needs(
        (
            "iam:CreateRole",
            "iam:GetRole",
            "iam:ListRolePolicies",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRoleDescription",
            "iam:UpdateRole",
            "iam:TagRole",
            "iam:UntagRole",
        ),
        ("iam:ListInstanceProfilesForRole", "iam:DeleteRole"),
    ),
    # iam/role_policy.go: PutRolePolicy, GetRolePolicy, DeleteRolePolicy. SAR: IAM.
    "aws:iam/rolePolicy:RolePolicy": Needs(("iam:PutRolePolicy", "iam:GetRolePolicy"), ("iam:DeleteRolePolicy",)),
    # iam/user.go: CreateUser, GetUser, UpdateUser, TagUser, UntagUser; delete
    # ListGroupsForUser then DeleteUser (force_destroy is off). SAR: IAM.
    "aws:iam/user:User": Needs(
        ("iam:CreateUser", "iam:GetUser", "iam:UpdateUser", "iam:TagUser", "iam:UntagUser"),
        ("iam:ListGroupsForUser", "iam:DeleteUser"),
    ),
    # iam/user_policy.go: PutUserPolicy, GetUserPolicy, DeleteUserPolicy. SAR: IAM.
    "aws:iam/userPolicy:UserPolicy": Needs(("iam:PutUserPolicy", "iam:GetUserPolicy"), ("iam:DeleteUserPolicy",)),
    # iam/access_key.go: CreateAccessKey, ListAccessKeys (read), UpdateAccessKey (status),
    # DeleteAccessKey; the SMTP password is derived locally. SAR: IAM.
    "aws:iam/accessKey:AccessKey": Needs(
        ("iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"), ("iam:DeleteAccessKey",)
    ),
    # iam/openid_connect_provider.go: CreateOpenIDConnectProvider,
    # GetOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint,
    # AddClientIDToOpenIDConnectProvider, RemoveClientIDFromOpenIDConnectProvider,
    # Tag/UntagOpenIDConnectProvider, DeleteOpenIDConnectProvider. SAR: IAM.
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": Needs(
        (
            "iam:CreateOpenIDConnectProvider",
            "iam:GetOpenIDConnectProvider",
            "iam:UpdateOpenIDConnectProviderThumbprint",
            "iam:AddClientIDToOpenIDConnectProvider",
            "iam:RemoveClientIDFromOpenIDConnectProvider",
            "iam:TagOpenIDConnectProvider",
            "iam:UntagOpenIDConnectProvider",
        ),
        ("iam:DeleteOpenIDConnectProvider",),
    ),
    # eks/pod_identity_association.go: CreatePodIdentityAssociation (on the cluster),
    # DescribePodIdentityAssociation, UpdatePodIdentityAssociation,
    # DeletePodIdentityAssociation; eks/tags_gen.go. iam:PassRole on the association's role
    # (the EKS user guide, "EKS Pod Identity Target IAM Roles": the role must be in the
    # cluster's account because of PassRole; the target role is not passed). SAR: Amazon EKS.
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": Needs(
        (
            "eks:CreatePodIdentityAssociation",
            "eks:DescribePodIdentityAssociation",
            "eks:UpdatePodIdentityAssociation",
            "eks:TagResource",
            "eks:UntagResource",
            "eks:ListTagsForResource",
            "iam:PassRole",
        ),
        ("eks:DeletePodIdentityAssociation",),
    ),
    # route53/record.go: GetHostedZone (the zone's name), ChangeResourceRecordSets (create,
    # update, delete), GetChange (waits for INSYNC), ListResourceRecordSets (read).
    # SAR: Amazon Route 53.
    "aws:route53/record:Record": Needs(
        (
            "route53:GetHostedZone",
            "route53:ChangeResourceRecordSets",
            "route53:GetChange",
            "route53:ListResourceRecordSets",
        )
    ),
    # --- provider functions (invokes) ---
    # sts caller identity data source (and the provider's own start): GetCallerIdentity.
    "aws:index/getCallerIdentity:getCallerIdentity": Needs(("sts:GetCallerIdentity",)),
    # meta/partition_data_source.go: no API call (the provider's own metadata).
    "aws:index/getPartition:getPartition": Needs(()),
    # iam/openid_connect_provider_data_source.go: by URL, ListOpenIDConnectProviders then
    # GetOpenIDConnectProvider of the match. SAR: IAM.
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": Needs(
        ("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider")
    ),
    # eks/cluster_data_source.go: DescribeCluster. SAR: Amazon EKS.
    "aws:eks/getCluster:getCluster": Needs(("eks:DescribeCluster",)),
    # route53/zone_data_source.go: by zone id, GetHostedZone and ListTagsForResource.
    # SAR: Amazon Route 53.
    "aws:route53/getZone:getZone": Needs(("route53:GetHostedZone", "route53:ListTagsForResource")),
}

# The only actions granted on `*`: the Service Authorization Reference lists no resource
# type for them (they cannot be scoped to a resource).
NO_RESOURCE_LEVEL: dict[str, str] = {
    "sts:GetCallerIdentity": "who the credentials are: each provider asks at start, the program with getCallerIdentity",
    "ses:PutAccountSuppressionAttributes": "an account-level SES setting: no resource type",
    "ses:GetAccount": "the account's SES settings: no resource type",
    "iam:ListOpenIDConnectProviders": "a list of the account's OIDC providers: no resource type",
}

# Kinds of resource that are not AWS resources: no AWS permission.
NOT_AWS = ("kubernetes:", "pulumi:providers:", "pulumi:pulumi:")


class UnknownTypeError(KeyError):
    """A planned AWS resource type or function the table has no entry for."""


@dataclass
class AccountPolicy:
    account: str
    document: dict[str, Any]

    @property
    def actions(self) -> list[str]:
        return sorted({a for s in self.document["Statement"] for a in s["Action"]})


@dataclass
class TrustPolicy:
    role_arn: str
    document: dict[str, Any]

    @property
    def role_name(self) -> str:
        """The role's name (`secret-role-<account>` for a role configured as a secret)."""
        if self.role_arn.endswith(":" + SECRET_ROLE):
            return "secret-role-" + self.role_arn.split(":")[4]
        return self.role_arn.rsplit("/", 1)[1]


@dataclass
class DeployerPolicies:
    accounts: list[AccountPolicy] = field(default_factory=list)
    trusts: list[TrustPolicy] = field(default_factory=list)


# --- ARNs --------------------------------------------------------------------------------


def _iam(account: str, rest: str) -> str:
    return f"arn:{PARTITION}:iam::{account}:{rest}"


def _regional(service: str, r_or_loc: Any, rest: str) -> str:
    location = getattr(r_or_loc, "location", r_or_loc)
    return f"arn:{PARTITION}:{service}:{location.region}:{location.account}:{rest}"


def _name_patterns(plan: Plan, r: PlannedResource, key: str = "name") -> tuple[str, ...]:
    """The resource's name as `pulumi up` gives it: its own, else auto-named
    `<logical name>-<7 hex>`. A resource found again under an alias (an earlier name:
    offline_plan.aliases) keeps the name it was auto-named with then: that one too."""
    given = reveal(r.inputs.get(key))
    if isinstance(given, str) and given:
        return (given,)
    return tuple(f"{name}-*" for name in (r.name, *earlier_names(plan.resources).get(r.urn, ())))


def _role_pattern(plan: Plan, r: PlannedResource) -> tuple[str, ...]:
    path = reveal(r.inputs.get("path")) or "/"
    return tuple(_iam(r.location.account, f"role{path}{name}") for name in _name_patterns(plan, r))


def _user_pattern(plan: Plan, r: PlannedResource) -> tuple[str, ...]:
    path = reveal(r.inputs.get("path")) or "/"
    return tuple(_iam(r.location.account, f"user{path}{name}") for name in _name_patterns(plan, r))


def _topic_pattern(plan: Plan, r: PlannedResource) -> tuple[str, ...]:
    return tuple(_regional("sns", r, name) for name in _name_patterns(plan, r))


def _planned(plan: Plan, type_: str, *, id_: Any = None, arn: Any = None) -> PlannedResource | None:
    for r in plan.of_type(type_):
        if (id_ is not None and r.id == id_) or (arn is not None and r.outputs.get("arn") == arn):
            return r
    return None


def _role_by_name_or_arn(plan: Plan, r: PlannedResource, *, name: Any = None, arn: Any = None) -> tuple[str, ...]:
    """The role a resource refers to: the planned role's patterns, else the existing role
    the config names (zmsRoleArn), else the role of that name in the resource's account."""
    role = _planned(plan, "aws:iam/role:Role", id_=name, arn=arn)
    if role is not None:
        return _role_pattern(plan, role)
    existing = reveal(plan.config.get(f"{PROJECT}:zmsRoleArn"))
    if isinstance(existing, str) and (existing == arn or existing.rsplit("/", 1)[-1] == name):
        return (existing,)
    if isinstance(arn, str) and arn:
        return (arn,)
    return (_iam(r.location.account, f"role/{name}"),)


def _user_by_name(plan: Plan, r: PlannedResource) -> tuple[str, ...]:
    name = reveal(r.inputs.get("user"))
    user = _planned(plan, "aws:iam/user:User", id_=name)
    return _user_pattern(plan, user) if user is not None else (_iam(r.location.account, f"user/{name}"),)


def _topic_by_arn(plan: Plan, r: PlannedResource, key: str) -> tuple[str, ...]:
    arn = reveal(r.inputs.get(key))
    topic = _planned(plan, "aws:sns/topic:Topic", arn=arn)
    return _topic_pattern(plan, topic) if topic is not None else (str(arn),)


def _identity(r: PlannedResource, name: Any) -> str:
    return _regional("ses", r, f"identity/{name}")


def _configuration_set(r: PlannedResource, name: Any) -> str:
    return _regional("ses", r, f"configuration-set/{name}")


def _zone(zone_id: Any) -> str:
    return f"arn:{PARTITION}:route53:::hostedzone/{zone_id}"


def _cluster(location: Any, name: Any) -> str:
    return _regional("eks", location, f"cluster/{name}")


# --- statements ----------------------------------------------------------------------------


@dataclass
class _Grant:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: tuple[tuple[str, str, str], ...] = ()
    """(operator, key, value) each: the statement's Condition."""


# A role or user created with a permissions boundary: the deployer may create it, or set
# its boundary, only with that boundary (the IAM user guide's "Permissions boundaries for
# IAM entities": iam:PermissionsBoundary on CreateRole/CreateUser and Put*PermissionsBoundary;
# terraform-provider-aws iam/role.go and user.go call PutRolePermissionsBoundary and
# PutUserPermissionsBoundary when the boundary changes). Never Delete*PermissionsBoundary.
BOUNDED = {
    "aws:iam/role:Role": ("iam:CreateRole", "iam:PutRolePermissionsBoundary"),
    "aws:iam/user:User": ("iam:CreateUser", "iam:PutUserPermissionsBoundary"),
}


def _sid(type_: str, suffix: str = "") -> str:
    """`aws:sesv2/emailIdentity:EmailIdentity` -> `Sesv2EmailIdentity` (+ suffix)."""
    module, _, name = type_.rpartition(":")
    service = module.split(":")[1].split("/")[0]
    return re.sub(r"[^A-Za-z0-9]", "", service.capitalize() + name + suffix)


def _resource_grants(plan: Plan, r: PlannedResource) -> list[_Grant]:
    needs = ACTIONS.get(r.type)
    if needs is None:
        raise UnknownTypeError(f"no deploying permissions known for resource type {r.type} ({r.name})")
    deletes = not (r.retain_on_delete or r.import_id)
    own, elsewhere = _arns_of(plan, r)
    boundary = reveal(r.inputs.get("permissionsBoundary")) if r.type in BOUNDED else None
    bounded = BOUNDED[r.type] if boundary else ()
    grants = []
    for suffix, actions in (("", needs.actions), ("Delete", needs.delete if deletes else ())):
        on_own = tuple(a for a in actions if a not in elsewhere and a not in bounded)
        if on_own:
            grants.append(_Grant(_sid(r.type, suffix), on_own, own))
        grants += [_Grant(_sid(r.type, a.split(":")[1]), (a,), elsewhere[a]) for a in actions if a in elsewhere]
    if bounded:
        condition = (("StringEquals", "iam:PermissionsBoundary", str(boundary)),)
        grants.append(_Grant(_sid(r.type, "WithBoundary"), bounded, own, condition))
    return grants


def _arns_of(plan: Plan, r: PlannedResource) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The resource's own ARNs (what most of its actions act on), and the ARNs of single
    actions that act on something else (the cluster, the passed role)."""
    i = reveal(r.inputs)
    t = r.type
    if t == "aws:sesv2/emailIdentity:EmailIdentity":
        own = [_identity(r, i["emailIdentity"])]
        if i.get("configurationSetName"):  # associating the set authorizes on the set too
            own.append(_configuration_set(r, i["configurationSetName"]))
        return tuple(own), {}
    if t in (
        "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy",
        "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
    ):
        return (_identity(r, i["emailIdentity"]),), {}
    if t in (
        "aws:sesv2/configurationSet:ConfigurationSet",
        "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
    ):
        return (_configuration_set(r, i["configurationSetName"]),), {}
    if t == "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes":
        return ("*",), {}
    if t == "aws:sns/topic:Topic":
        return _topic_pattern(plan, r), {}
    if t == "aws:sns/topicPolicy:TopicPolicy":
        return _topic_by_arn(plan, r, "arn"), {}
    if t == "aws:sns/topicSubscription:TopicSubscription":
        # The pattern also matches the subscription ARNs (<topic ARN>:<id>).
        return _topic_by_arn(plan, r, "topic"), {}
    if t == "aws:iam/role:Role":
        return _role_pattern(plan, r), {}
    if t == "aws:iam/rolePolicy:RolePolicy":
        return _role_by_name_or_arn(plan, r, name=i["role"]), {}
    if t == "aws:iam/user:User":
        return _user_pattern(plan, r), {}
    if t in ("aws:iam/userPolicy:UserPolicy", "aws:iam/accessKey:AccessKey"):
        return _user_by_name(plan, r), {}
    if t == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        return (_iam(r.location.account, "oidc-provider/" + i["url"].removeprefix("https://")),), {}
    if t == "aws:eks/podIdentityAssociation:PodIdentityAssociation":
        cluster = _cluster(r.location, i["clusterName"])
        association = _regional("eks", r, f"podidentityassociation/{i['clusterName']}/*")
        return (association,), {
            "eks:CreatePodIdentityAssociation": (cluster,),
            "eks:TagResource": (cluster, association),  # tags on create authorize on both
            "iam:PassRole": _role_by_name_or_arn(plan, r, arn=i["roleArn"]),
        }
    if t == "aws:route53/record:Record":
        return (_zone(i["zoneId"]),), {"route53:GetChange": (f"arn:{PARTITION}:route53:::change/*",)}
    raise UnknownTypeError(f"no resource ARNs known for resource type {t} ({r.name})")


def _call_grants(token: str, args: dict, location: Any) -> list[_Grant]:
    needs = ACTIONS.get(token)
    if needs is None:
        raise UnknownTypeError(f"no deploying permissions known for provider function {token}")
    a = reveal(args)
    if token == "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
        arn = _iam(location.account, "oidc-provider/" + str(a.get("url", "")).removeprefix("https://"))
        return [
            _Grant("IamOpenIdConnectProviderLookUp", ("iam:GetOpenIDConnectProvider",), (arn,)),
            _Grant("IamOpenIdConnectProviderList", ("iam:ListOpenIDConnectProviders",), ("*",)),
        ]
    if token == "aws:eks/getCluster:getCluster":
        return [_Grant("EksClusterLookUp", needs.actions, (_cluster(location, a["name"]),))]
    if token == "aws:route53/getZone:getZone":
        return [_Grant("Route53ZoneLookUp", needs.actions, (_zone(a["zoneId"]),))]
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return [_Grant("StsCallerIdentity", needs.actions, ("*",))]
    if not needs.actions:
        return []
    raise UnknownTypeError(f"no resource ARNs known for provider function {token}")


SECRET_ROLE = "role/*"
"""What stands for a role ARN configured as a secret (the plan never writes a secret)."""


def _has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _assumed_roles(plan: Plan) -> list[str]:
    """The ARN of each role an explicit AWS provider assumes; a role configured as a
    secret as `arn:aws:iam::<its account>:role/*`."""
    found = []
    for r in plan.of_type("pulumi:providers:aws"):
        secret = _has_secret(r.inputs.get("assumeRoles"))
        roles = reveal(r.inputs.get("assumeRoles"))
        if isinstance(roles, str):
            roles = json.loads(roles)
        for role in roles or []:
            if isinstance(role, dict) and role.get("roleArn"):
                found.append(_iam(r.location.account, SECRET_ROLE) if secret else role["roleArn"])
    return found


def deploying_account(plan: Plan) -> str:
    """The account of the default credentials (the cluster account): where the program's
    own getCallerIdentity runs."""
    for token, _, location in plan.calls:
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return location.account
    return plan.config.get(f"{PROJECT}:clusterAccountId") or "111111111111"


def _grants_by_account(plan: Plan) -> dict[str, list[_Grant]]:
    by_account: dict[str, list[_Grant]] = {}
    for r in plan.resources:
        if not r.custom or r.type.startswith(NOT_AWS):
            continue
        by_account.setdefault(r.location.account, []).extend(_resource_grants(plan, r))
    for token, args, location in plan.calls:
        if token.startswith("aws:"):
            by_account.setdefault(location.account, []).extend(_call_grants(token, args, location))
        elif not token.startswith(NOT_AWS):
            raise UnknownTypeError(f"no deploying permissions known for provider function {token}")
    for account in by_account:  # every provider asks who it is when it starts
        by_account[account].append(_Grant("StsCallerIdentity", ("sts:GetCallerIdentity",), ("*",)))
    base = deploying_account(plan)
    for role_arn in _assumed_roles(plan):
        by_account.setdefault(base, []).append(_Grant("StsAssumeDeployerRoles", ("sts:AssumeRole",), (role_arn,)))
    return by_account


def _statements(grants: Iterable[_Grant]) -> list[dict[str, Any]]:
    """One statement per Sid, set of actions and condition, its resources merged and sorted."""
    merged: dict[tuple[str, tuple[str, ...], tuple[tuple[str, str, str], ...]], set[str]] = {}
    for g in grants:
        merged.setdefault((g.sid, tuple(sorted(set(g.actions))), g.condition), set()).update(g.resources)
    out, used = [], set()
    for (sid, actions, condition), resources in sorted(merged.items()):
        name, n = sid, 2
        while name in used:
            name, n = f"{sid}{n}", n + 1
        used.add(name)
        statement: dict[str, Any] = {
            "Sid": name,
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": sorted(resources),
        }
        if condition:
            statement["Condition"] = {op: {key: value} for op, key, value in condition}
        out.append(statement)
    return out


def trust_policy(role_arn: str, deploying: str) -> dict[str, Any]:
    """Who may assume a deployer role: the deploying account (placeholder: its root, that
    is any principal of it its own IAM policies allow; narrow it to the deploying role)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DeployerOfAccount" + deploying + "NarrowToItsRole",
                "Effect": "Allow",
                "Principal": {"AWS": _iam(deploying, "root")},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def deployer_policies(plan: Plan) -> DeployerPolicies:
    """The identity policy of each account the plan touches, and the trust policy of each
    role a provider assumes."""
    out = DeployerPolicies()
    for account, grants in sorted(_grants_by_account(plan).items()):
        document = {"Version": "2012-10-17", "Statement": _statements(grants)}
        out.accounts.append(AccountPolicy(account, document))
    base = deploying_account(plan)
    for role_arn in sorted(set(_assumed_roles(plan))):
        out.trusts.append(TrustPolicy(role_arn, trust_policy(role_arn, base)))
    return out
