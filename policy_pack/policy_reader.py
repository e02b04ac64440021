"""Reading IAM, SES and SNS policy documents from resource inputs: the one reader.

The policy pack's rules, the offline plan's send graph and policy files, and the tests
all read policies through this module: which input fields of which resource types hold
a policy document, how a field's JSON string becomes a document, the statements of a
document, the values of a statement as a list, and the SES send actions.

It lives in the policy pack's folder because the pack must run from that folder alone
(the Pulumi CLI puts only the folder on sys.path, and the pack's venv has nothing but
pulumi-policy): the pack imports it by name (`policy_reader`), the rest of the project as
`policy_pack.policy_reader`. It uses the standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
EMAIL_IDENTITY_POLICY = "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"

# Every resource type whose inputs carry an IAM, SES or SNS policy document, and the fields.
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    ROLE: ("assumeRolePolicy",),
    ROLE_POLICY: ("policy",),
    USER_POLICY: ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    EMAIL_IDENTITY_POLICY: ("policy",),
    "aws:ses/identityPolicy:IdentityPolicy": ("policy",),
    TOPIC_POLICY: ("policy",),
}

# The SES actions that send mail as an identity, lower-cased: IAM compares action names
# case-insensitively. The same actions as SEND_ACTIONS in athenz_ses/policies.py (what the
# package grants), which the pack cannot import: tests/test_policy_reader.py keeps the two equal.
SEND_ACTIONS = frozenset({"ses:sendemail", "ses:sendrawemail"})


def as_list(value: Any) -> list[Any]:
    """A policy value as a list: IAM takes one string (or one principal block) or a list."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    return list(value)


def parse(value: Any) -> Mapping[str, Any] | None:
    """The document a policy field holds: its JSON string parsed, or None if the field is
    not a JSON object string (unset, or unknown during a preview)."""
    if not isinstance(value, str):
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, Mapping) else None


def _as_is(value: Any) -> Any:
    return value


def documents(
    resource_type: str, props: Mapping[str, Any], unwrap: Callable[[Any], Any] = _as_is
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field, parsed document) for each policy field of the type that holds a JSON string.

    `unwrap` opens the caller's secret wrapper first (the pack's `pulumi_policy.Secret`,
    the offline plan's `Secret`); by default a wrapped value is skipped like an unknown one."""
    for field in POLICY_FIELDS.get(resource_type, ()):
        document = parse(unwrap(props.get(field)))
        if document is not None:
            yield field, document


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a document (one statement object or a list of them)."""
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def send_actions(statement: Mapping[str, Any]) -> list[str]:
    """The SES send actions a statement names, as it spells them, sorted."""
    return sorted({str(a) for a in as_list(statement.get("Action")) if str(a).lower() in SEND_ACTIONS})
