"""DelegatedSender: a workload's own IRSA role (trusted by its own ServiceAccount only,
allowed to send as the given identities) and that ServiceAccount, annotated with it."""

from __future__ import annotations

from typing import Any

import pulumi

from athenz_ses.delegated_sender import DelegatedSender, DelegatedSenderArgs
from athenz_ses.zms_wiring import LABELS
from offline_plan.mocks import autoname

from .unit_mocks import ACCOUNT, ISSUER, ISSUER_HOST, OIDC_ARN, as_list, statement

ROLE = "aws:iam/role:Role"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SEND_ARNS = [f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/zms@example.com"]
STACK_LABELS = {**LABELS, "app.kubernetes.io/instance": "athenz-ses-unit"}


def build(**overrides: Any) -> dict[str, Any]:
    """Build the component; returns its resolved role_arn and send_policy."""
    out: dict[str, Any] = {}
    values: dict[str, Any] = dict(
        namespace="mailer",
        service_account="reports",
        oidc_provider_arn=pulumi.Output.from_input(OIDC_ARN),
        issuer_url=pulumi.Output.from_input(ISSUER),
        send_arns=SEND_ARNS,
        labels=STACK_LABELS,
    )

    @pulumi.runtime.test
    def run():
        sender = DelegatedSender("sender-mailer-reports", DelegatedSenderArgs(**{**values, **overrides}))
        return pulumi.Output.all(sender.role_arn, sender.send_policy).apply(
            lambda v: out.update(role_arn=v[0], send_policy=v[1])
        )

    run()
    return out


def test_the_role_trusts_only_its_own_service_account(mocks):
    build()
    st = statement(mocks.one(ROLE).inputs["assumeRolePolicy"])
    assert st["Principal"] == {"Federated": OIDC_ARN}
    assert st["Condition"]["StringEquals"] == {
        f"{ISSUER_HOST}:sub": "system:serviceaccount:mailer:reports",
        f"{ISSUER_HOST}:aud": "sts.amazonaws.com",
    }


def test_the_role_may_send_as_the_given_identities_only(mocks):
    out = build()
    [policy] = mocks.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == autoname("sender-mailer-reports-role")
    assert policy.inputs["policy"] == out["send_policy"]
    st = statement(out["send_policy"])
    assert sorted(as_list(st["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert as_list(st["Resource"]) == SEND_ARNS
    assert "Principal" not in st and "Condition" not in st


def test_the_service_account_is_annotated_with_the_role_in_its_namespace(mocks):
    out = build()
    assert out["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{autoname('sender-mailer-reports-role')}"
    metadata = mocks.one(SERVICE_ACCOUNT).inputs["metadata"]
    assert metadata == {
        "name": "reports",
        "namespace": "mailer",
        "labels": STACK_LABELS,
        "annotations": {"eks.amazonaws.com/role-arn": out["role_arn"]},
    }


def test_labels_default_to_the_packages_labels(mocks):
    values: dict[str, Any] = dict(
        namespace="mailer",
        service_account="reports",
        oidc_provider_arn=OIDC_ARN,
        issuer_url=ISSUER,
        send_arns=SEND_ARNS,
    )

    @pulumi.runtime.test
    def run():
        DelegatedSender("sender-mailer-reports", DelegatedSenderArgs(**values))

    run()
    assert mocks.one(SERVICE_ACCOUNT).inputs["metadata"]["labels"] == LABELS


def test_send_arns_may_be_outputs(mocks):
    build(send_arns=pulumi.Output.from_input([pulumi.Output.from_input(SEND_ARNS[0])]))
    st = statement(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert as_list(st["Resource"]) == SEND_ARNS


def test_creates_one_role_one_policy_and_one_service_account(mocks):
    build()
    assert sorted(r.typ for r in mocks.resources if r.custom) == sorted(
        [ROLE, "aws:iam/rolePolicy:RolePolicy", SERVICE_ACCOUNT]
    )
