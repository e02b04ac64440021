"""Thin pulumi_policy wrappers around the rules in rules.py (no server is started here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceRemediation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
)
from rules import RULES, Rule, secret_data_is_secret

NAME = "athenz-ses-least-privilege"
SECRET_POLICY = "kubernetes-secret-data-is-secret"


def _validation(rule: Rule):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        # An unknown value (a preview) raises UnknownValueError on access; pulumi_policy
        # turns that into an advisory "can't run during preview" and `pulumi up` checks it.
        for message in rule(args.resource_type, args.props):
            report_violation(message, None)

    return validate


def _raw(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The properties with their secret wrappers: a remediation gets them behind a
    proxy that unwraps on access, and keeps the originals under "__target"."""
    try:
        return props["__target"]
    except KeyError:
        return props


def make_data_secret(args: ResourceValidationArgs) -> dict[str, Any] | None:
    """Remediation: a Secret whose data or stringData is not a Pulumi secret gets it
    wrapped as one. A validation cannot do this check: it sees every secret unwrapped
    (pulumi/pulumi-policy#241); only a remediation's properties keep the marker."""
    raw = _raw(args.props)
    if not secret_data_is_secret(args.resource_type, raw):
        return None
    fixed = dict(raw)
    for field in ("data", "stringData"):
        if fixed.get(field) is not None and not isinstance(fixed[field], Secret):
            fixed[field] = Secret(fixed[field])
    return fixed


def policies() -> list[Policy]:
    validations = [
        ResourceValidationPolicy(
            name=name, description=description, validate=_validation(rule), enforcement_level=EnforcementLevel.MANDATORY
        )
        for name, (description, rule) in RULES.items()
    ]
    secret = ResourceValidationPolicy(
        name=SECRET_POLICY,
        description="A Kubernetes Secret's data and stringData are Pulumi secrets (made secret if not).",
        # pulumi_policy's ResourceRemediation type names only an awaitable result, but its
        # server takes a plain mapping too (`elif result is not None: new_props = result`).
        remediate=cast(ResourceRemediation, make_data_secret),
        enforcement_level=EnforcementLevel.REMEDIATE,
    )
    return [*validations, secret]
