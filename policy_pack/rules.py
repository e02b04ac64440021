"""The least-privilege rules of the policy pack, as plain functions.

Each rule takes a resource's type token and its input properties (wire names, as a
policy pack and the offline plan both see them) and returns violation messages; an
empty list means the resource passes. They live apart from the pack's `__main__`
because `PolicyPack(...)` starts a gRPC server and blocks: the tests call the rules
directly on the program's mock-captured resources.

IAM, SES and SNS policy fields arrive as the JSON strings AWS receives; policy_reader.py
(the one reader of policy documents, shared with the offline plan and the tests) says
which fields hold them and parses them. A field that is not (yet) a JSON string, for
example unknown during a preview, is skipped rather than guessed at.

A secret value is a `pulumi_policy.Secret`, as the Pulumi CLI hands it to a remediation
(a validation sees secrets unwrapped: pulumi/pulumi-policy#241). The tests convert the
offline plan's own secret wrapper to it before they call the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from policy_reader import ROLE, TOPIC_POLICY, as_list, documents, send_actions, statements
from pulumi_policy import Secret

Props = Mapping[str, Any]
Rule = Callable[[str, Props], list[str]]

DNS_RECORD = "aws:route53/record:Record"
DEPLOYMENT_PATCH = "kubernetes:apps/v1:DeploymentPatch"
K8S_SECRET = "kubernetes:core/v1:Secret"
STS_AUDIENCE = "sts.amazonaws.com"
PATCH_FORCE = "pulumi.com/patchForce"
# The env vars the distribution's ZMS container defines, which the patch must never set.
# The pack's own copy of the env every ZMS layout's container already has
# (athenz_ses.zms_wiring.LAYOUTS: the distribution's manifests, Athenz's chart and its
# image); the pack imports nothing of the program, and a test keeps the two equal.
BASE_ENV = (
    "JAVA_OPTS",
    "USER_CLASSPATH",
    "CLASSPATH",
    "CONF_PATH",
    "ROOT",
    "ZMS_DB_ADMIN_PASS",
    "ZMS_RODB_ADMIN_PASS",
    "ZMS_KEYSTORE_PASS",
    "ZMS_TRUSTSTORE_PASS",
    "ZMS_PORT",
)

_IDENTITY_ARN = re.compile(r"arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity/[^*?\s]+")
# SES authorizes a send on the configuration set it applies as well (the identity's default).
_CONFIGURATION_SET_ARN = re.compile(r"arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:configuration-set/[A-Za-z0-9_-]+")
_SERVICE_ACCOUNT = re.compile(r"system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_OIDC_PROVIDER = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(?P<issuer>.+)")


# --- reading policy documents ---------------------------------------------------------


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, Secret) else value


def policy_documents(resource_type: str, props: Props) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field, parsed document) for each policy field of the type that holds a JSON string,
    a secret one included."""
    return documents(resource_type, props, _unwrap)


def _principal_ids(principal: Any) -> list[str]:
    if isinstance(principal, Mapping):
        return [str(i) for ids in principal.values() for i in as_list(ids)]
    return [str(i) for i in as_list(principal)]


# --- the rules ----------------------------------------------------------------------


def no_wildcards(resource_type: str, props: Props) -> list[str]:
    """No `*` (nor `ses:*`, `ses:Send*`) in an action, resource or principal, and no
    NotAction/NotResource/NotPrincipal, which grant everything but a list."""
    found = []
    for field, document in policy_documents(resource_type, props):
        for n, statement in enumerate(statements(document)):
            where = f"{field} statement {n}"
            for negated in ("NotAction", "NotResource", "NotPrincipal"):
                if negated in statement:
                    found.append(f"{where} uses {negated}, which allows everything not listed")
            for key in ("Action", "Resource"):
                for item in as_list(statement.get(key)):
                    if "*" in str(item) or "?" in str(item):
                        found.append(f"{where} has the wildcard {key.lower()} {item!r}")
            for item in _principal_ids(statement.get("Principal")):
                if "*" in item:
                    found.append(f"{where} has the wildcard principal {item!r}")
    return found


def oidc_trust_is_one_service_account(resource_type: str, props: Props) -> list[str]:
    """A role that trusts an OIDC provider pins `:sub` to exactly one service account and
    `:aud` to STS, both with StringEquals, and constrains those keys no other way."""
    if resource_type != ROLE:
        return []
    found = []
    for field, document in policy_documents(resource_type, props):
        for n, statement in enumerate(statements(document)):
            principal = statement.get("Principal")
            federated = as_list(principal.get("Federated")) if isinstance(principal, Mapping) else []
            for provider in federated:
                match = _OIDC_PROVIDER.fullmatch(str(provider))
                if match:
                    found += _check_oidc_conditions(
                        f"{field} statement {n}", match["issuer"], statement.get("Condition") or {}
                    )
    return found


def _check_oidc_conditions(where: str, issuer: str, conditions: Mapping[str, Any]) -> list[str]:
    found = []
    expected = {f"{issuer}:sub": "sub", f"{issuer}:aud": "aud"}
    for operator, keys in conditions.items():
        if operator != "StringEquals":
            for key in keys if isinstance(keys, Mapping) else ():
                if key in expected:
                    found.append(f"{where} constrains {key} with {operator}; only StringEquals pins it")
    equals = conditions.get("StringEquals") or {}
    sub = as_list(equals.get(f"{issuer}:sub"))
    aud = as_list(equals.get(f"{issuer}:aud"))
    if len(sub) != 1 or not _SERVICE_ACCOUNT.fullmatch(str(sub[0])):
        found.append(
            f"{where} must have StringEquals {issuer}:sub = one system:serviceaccount:<namespace>:<name>, has {sub!r}"
        )
    if aud != [STS_AUDIENCE]:
        found.append(f"{where} must have StringEquals {issuer}:aud = {STS_AUDIENCE}, has {aud!r}")
    return found


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_TAGS = (
    "aws:RequestTag/eks-cluster-arn",
    "aws:RequestTag/kubernetes-namespace",
    "aws:RequestTag/kubernetes-service-account",
)
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+")


def pod_identity_trust_is_one_service_account(resource_type: str, props: Props) -> list[str]:
    """A role that EKS Pod Identity assumes (principal pods.eks.amazonaws.com), or that a
    Pod Identity role chains into (conditions on its session tags), pins the cluster, the
    namespace and the ServiceAccount with StringEquals, one value each; a target role
    trusts one role ARN (aws:PrincipalARN), not a whole account."""
    if resource_type != ROLE:
        return []
    found = []
    for field, document in policy_documents(resource_type, props):
        for n, statement in enumerate(statements(document)):
            principal = statement.get("Principal")
            services = as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
            conditions = statement.get("Condition") or {}
            tagged = any(key in POD_TAGS for keys in conditions.values() if isinstance(keys, Mapping) for key in keys)
            if POD_IDENTITY_SERVICE not in services and not tagged:
                continue
            where = f"{field} statement {n}"
            equals = conditions.get("StringEquals") or {}
            for tag in POD_TAGS:
                values = as_list(equals.get(tag))
                if len(values) != 1 or not isinstance(values[0], str) or "*" in values[0]:
                    found.append(f"{where} must have StringEquals {tag} = one value, has {values!r}")
            found += [
                f"{where} constrains {key} with {operator}; only StringEquals pins it"
                for operator, keys in conditions.items()
                if operator != "StringEquals" and isinstance(keys, Mapping)
                for key in keys
                if key in POD_TAGS
            ]
            accounts = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
            if accounts:
                chained = as_list((conditions.get("ArnEquals") or {}).get("aws:PrincipalARN"))
                if len(chained) != 1 or not _ROLE_ARN.fullmatch(str(chained[0])):
                    found.append(f"{where} must admit one role with ArnEquals aws:PrincipalARN, has {chained!r}")
    return found


def ses_send_only_on_identities(resource_type: str, props: Props) -> list[str]:
    """ses:SendEmail / ses:SendRawEmail are allowed only on SES identity ARNs, and on the
    configuration set those sends go through, never on a configuration set alone."""
    found = []
    for field, document in policy_documents(resource_type, props):
        for n, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow" or not send_actions(statement):
                continue
            resources = as_list(statement.get("Resource"))
            if not any(_IDENTITY_ARN.fullmatch(str(resource)) for resource in resources):
                found.append(f"{field} statement {n} allows sending without naming an SES identity")
            for resource in resources:
                if not (_IDENTITY_ARN.fullmatch(str(resource)) or _CONFIGURATION_SET_ARN.fullmatch(str(resource))):
                    found.append(
                        f"{field} statement {n} allows sending on {resource!r}, not an SES identity "
                        "or configuration set ARN"
                    )
    return found


def service_principals_are_pinned(resource_type: str, props: Props) -> list[str]:
    """A topic policy that lets an AWS service publish (SES's event destination) pins the
    source account (StringEquals AWS:SourceAccount) and the source ARN (AWS:SourceArn,
    StringEquals or ArnEquals), one value each: otherwise any account's configuration set
    could publish to the topic (the confused deputy)."""
    if resource_type != TOPIC_POLICY:
        return []
    found = []
    for field, document in policy_documents(resource_type, props):
        for n, statement in enumerate(statements(document)):
            principal = statement.get("Principal")
            if statement.get("Effect") != "Allow" or not isinstance(principal, Mapping) or "Service" not in principal:
                continue
            conditions = {
                operator: {key.lower(): value for key, value in keys.items()}
                for operator, keys in (statement.get("Condition") or {}).items()
                if isinstance(keys, Mapping)
            }
            account = as_list((conditions.get("StringEquals") or {}).get("aws:sourceaccount"))
            source = as_list(
                (conditions.get("StringEquals") or {}).get("aws:sourcearn")
                or (conditions.get("ArnEquals") or {}).get("aws:sourcearn")
            )
            where = f"{field} statement {n}"
            if len(account) != 1 or not re.fullmatch(r"\d{12}", str(account[0])):
                found.append(f"{where} lets a service in without StringEquals AWS:SourceAccount = one account")
            if len(source) != 1 or "*" in str(source[0]):
                found.append(f"{where} lets a service in without AWS:SourceArn = one ARN")
    return found


def dns_records_never_overwrite(resource_type: str, props: Props) -> list[str]:
    """A Route 53 record of the stack is created, never upserted over one that exists:
    `allowOverwrite` would take a record someone else manages, and destroy would delete it."""
    if resource_type != DNS_RECORD or props.get("allowOverwrite") is not True:
        return []
    return [f"the record {props.get('name')!r} sets allowOverwrite: true, taking over an existing record"]


def patch_leaves_base_alone(resource_type: str, props: Props) -> list[str]:
    """The ZMS DeploymentPatch sets no env var of the base Deployment and never forces
    ownership: destroy would remove a force-owned field and break ZMS."""
    if resource_type != DEPLOYMENT_PATCH:
        return []
    found = []
    annotations = (props.get("metadata") or {}).get("annotations") or {}
    if str(annotations.get(PATCH_FORCE, "")).lower() == "true":
        found.append(f"the patch sets {PATCH_FORCE}: true, taking fields over from the base Deployment")
    pod = ((props.get("spec") or {}).get("template") or {}).get("spec") or {}
    for kind in ("containers", "initContainers"):
        for container in pod.get(kind) or []:
            for env in container.get("env") or []:
                if env.get("name") in BASE_ENV:
                    found.append(
                        f"the patch sets {env.get('name')} in {kind} {container.get('name')!r}; "
                        "the base Deployment owns it"
                    )
    return found


def secret_data_is_secret(resource_type: str, props: Props) -> list[str]:
    """A Kubernetes Secret's data and stringData are Pulumi secrets, so they are
    encrypted in the state and hidden in previews."""
    if resource_type != K8S_SECRET:
        return []
    return [
        f"Secret {field} is not a Pulumi secret; build it with pulumi.Output.secret"
        for field in ("data", "stringData")
        if props.get(field) is not None and not isinstance(props.get(field), Secret)
    ]


RULES: dict[str, tuple[str, Rule]] = {
    "no-wildcard-policies": ("No IAM or SES statement has a * action, resource or principal.", no_wildcards),
    "oidc-trust-one-service-account": (
        "A role trusting an OIDC provider pins :sub to one service account and :aud to sts.amazonaws.com "
        "with StringEquals.",
        oidc_trust_is_one_service_account,
    ),
    "pod-identity-trust-one-service-account": (
        "A role EKS Pod Identity assumes or chains into pins eks-cluster-arn, kubernetes-namespace and "
        "kubernetes-service-account with StringEquals; a target role admits one role (aws:PrincipalARN).",
        pod_identity_trust_is_one_service_account,
    ),
    "ses-send-only-on-identities": (
        "ses:SendEmail/SendRawEmail only name SES identity ARNs (and the configuration set they go through).",
        ses_send_only_on_identities,
    ),
    "service-principals-pinned": (
        "A topic policy that lets an AWS service publish pins AWS:SourceAccount and AWS:SourceArn to one value each.",
        service_principals_are_pinned,
    ),
    "dns-records-never-overwrite": (
        "A Route 53 record never sets allowOverwrite: it is created, not taken over.",
        dns_records_never_overwrite,
    ),
    "zms-patch-leaves-base-alone": (
        "The ZMS DeploymentPatch sets no base env var (JAVA_OPTS, ...) and never sets pulumi.com/patchForce.",
        patch_leaves_base_alone,
    ),
}
"""The rules a validation can check. secret_data_is_secret is not here: a validation
sees secrets unwrapped, so the pack enforces it as a remediation (see pack.py)."""


def check(resource_type: str, props: Props) -> list[str]:
    """Every violation of every rule, secret_data_is_secret included."""
    rules = [rule for _, rule in RULES.values()] + [secret_data_is_secret]
    return [message for rule in rules for message in rule(resource_type, props)]
