"""DelegatedSender: a workload's own IRSA role (trusted by its own ServiceAccount only,
allowed to send as the given identities) and that ServiceAccount, annotated with it."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

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
        from_addresses=["zms@example.com"],
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
    assert st["Principal"] == {"Federated": [OIDC_ARN]}
    assert st["Condition"]["StringEquals"] == {
        f"{ISSUER_HOST}:sub": ["system:serviceaccount:mailer:reports"],
        f"{ISSUER_HOST}:aud": ["sts.amazonaws.com"],
    }


def test_the_role_may_send_as_the_given_identities_only(mocks):
    out = build()
    [policy] = mocks.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == autoname("sender-mailer-reports-role")
    assert policy.inputs["policy"] == out["send_policy"]
    st = statement(out["send_policy"])
    assert sorted(as_list(st["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert as_list(st["Resource"]) == SEND_ARNS
    assert "Principal" not in st
    # As the sender only: an identity of a domain would cover every address of it.
    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": ["zms@example.com"]}}


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
        from_addresses=["zms@example.com"],
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


# --- EKS Pod Identity, and the refusals -------------------------------------------------------

ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CLUSTER_ARN = f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/prod"
POD_IDENTITY = dict(oidc_provider_arn=None, issuer_url=None, eks_cluster_name="prod", eks_cluster_arn=CLUSTER_ARN)


def test_with_pod_identity_eks_assumes_the_role_for_this_service_account_and_it_has_no_annotation(mocks):
    out = build(**POD_IDENTITY)
    association = mocks.one(ASSOCIATION).inputs
    assert (association["clusterName"], association["namespace"], association["serviceAccount"]) == (
        "prod",
        "mailer",
        "reports",
    )
    assert association["roleArn"] == out["role_arn"]
    trust = statement(mocks.one(ROLE).inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": ["pods.eks.amazonaws.com"]}
    assert trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == ["reports"]
    assert "annotations" not in mocks.one(SERVICE_ACCOUNT).inputs["metadata"]
    assert as_list(statement(out["send_policy"])["Resource"]) == SEND_ARNS


@pytest.mark.parametrize(
    "overrides, problem",
    [
        (dict(oidc_provider_arn=None), "give either oidc_provider_arn and issuer_url (IRSA) or eks_cluster_name"),
        ({**POD_IDENTITY, "issuer_url": ISSUER, "oidc_provider_arn": OIDC_ARN}, "give either"),
        (dict(target_provider="not used"), "target_provider: only with EKS Pod Identity"),
    ],
    ids=["neither", "both", "target-without-pod-identity"],
)
def test_a_sender_with_no_or_two_ways_to_credentials_is_refused_before_anything_is_registered(
    mocks, overrides, problem
):
    with pytest.raises(ValueError, match=re.escape(problem)):
        build(**overrides)
    assert mocks.resources == []
