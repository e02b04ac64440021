"""The IAM simulation harness discriminates: every test expects at least one
Allowed and one denied decision, so an evaluator stubbed to always allow or
always deny fails each of them."""

from __future__ import annotations

import json

import pytest
from iam_simulate import (
    ALLOWED,
    IMPLICITLY_DENIED,
    AccessRequest,
    SimulationError,
    alias_web_identity,
    assert_decision,
    evaluator_process,
    oidc_provider_arn,
    simulate,
    web_identity_context,
)

APP = "111111111111"
SES_ACCOUNT = "222222222222"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{APP}:role/athenz-zms-ses"
OTHER_ROLE = f"arn:aws:iam::{APP}:role/someone-else"
ISSUER_HOST = f"oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
SERVICE_ACCOUNT = "system:serviceaccount:athenz:athenz-zms-ses"


def ses_identity(account: str, address: str) -> str:
    return f"arn:aws:ses:{REGION}:{account}:identity/{address}"


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def by_name(results):
    return {r.name: r for r in results}


def test_same_account_inline_policy():
    identity = ses_identity(APP, "zms@example.com")
    inline = policy({"Effect": "Allow", "Action": ["ses:SendEmail", "ses:SendRawEmail"], "Resource": identity})

    def req(name, action, resource):
        return AccessRequest(name, ROLE, action, resource, APP, identity_policies=[inline])

    r = by_name(
        simulate(
            [
                req("send", "ses:SendEmail", identity),
                req("send-raw", "ses:SendRawEmail", identity),
                req("other-identity", "ses:SendEmail", ses_identity(APP, "other@example.com")),
                req("delete", "ses:DeleteEmailIdentity", identity),
            ]
        )
    )
    assert_decision(r["send"], ALLOWED)
    assert_decision(r["send-raw"], ALLOWED)
    assert_decision(r["other-identity"], IMPLICITLY_DENIED)
    assert_decision(r["delete"], IMPLICITLY_DENIED)


def test_cross_account_ses_sending_authorization():
    identity = ses_identity(SES_ACCOUNT, "zms@example.com")
    identity_policy = policy({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": identity})

    def sending_authorization(principal: str) -> dict:
        return policy(
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "ses:SendEmail", "Resource": identity}
        )

    def req(name, resource_policy):
        return AccessRequest(
            name,
            ROLE,
            "ses:SendEmail",
            identity,
            SES_ACCOUNT,
            identity_policies=[identity_policy],
            resource_policy=resource_policy,
        )

    r = by_name(
        simulate(
            [
                req("both", sending_authorization(ROLE)),
                req("no-resource-policy", None),
                req("resource-policy-for-other-role", sending_authorization(OTHER_ROLE)),
            ]
        )
    )
    assert_decision(r["both"], ALLOWED)
    assert {g["policyType"] for g in r["both"].explanation["results"][0]["grants"]} == {"identity", "resource"}
    assert_decision(r["no-resource-policy"], IMPLICITLY_DENIED)
    assert_decision(r["resource-policy-for-other-role"], IMPLICITLY_DENIED)


def irsa_trust_policy(issuer_host: str = ISSUER_HOST) -> dict:
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn(APP, issuer_host)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer_host}:sub": SERVICE_ACCOUNT,
                    f"{issuer_host}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def assume(name: str, trust: dict, host: str, **claims: str) -> AccessRequest:
    return AccessRequest(
        name=name,
        principal=oidc_provider_arn(APP, host),
        action="sts:AssumeRoleWithWebIdentity",
        resource=ROLE,
        resource_account=APP,
        resource_policy=trust,
        context=web_identity_context(host, **claims),
    )


def test_irsa_trust_policy_with_aliased_issuer():
    original = irsa_trust_policy()
    trust, host = alias_web_identity(original, ISSUER_HOST)
    # The alias renames the issuer in the condition keys and Principal.Federated, nothing else.
    assert host == "accounts.google.com"
    assert original == irsa_trust_policy(), "the input policy must not be modified"
    stmt = trust["Statement"][0]
    assert stmt["Principal"] == {"Federated": f"arn:aws:iam::{APP}:oidc-provider/accounts.google.com"}
    assert stmt["Condition"] == {
        "StringEquals": {"accounts.google.com:sub": SERVICE_ACCOUNT, "accounts.google.com:aud": "sts.amazonaws.com"}
    }
    email_claim = policy({**original["Statement"][0], "Condition": {"StringEquals": {f"{ISSUER_HOST}:email": "x"}}})
    with pytest.raises(ValueError, match="email"):  # a claim the alias provider lacks cannot be aliased
        alias_web_identity(email_claim, ISSUER_HOST)
    r = by_name(
        simulate(
            [
                assume("right-sa", trust, host, sub=SERVICE_ACCOUNT, aud="sts.amazonaws.com"),
                assume(
                    "other-sa-same-ns", trust, host, sub="system:serviceaccount:athenz:default", aud="sts.amazonaws.com"
                ),
                assume(
                    "same-sa-other-ns",
                    trust,
                    host,
                    sub="system:serviceaccount:default:athenz-zms-ses",
                    aud="sts.amazonaws.com",
                ),
                assume("wrong-audience", trust, host, sub=SERVICE_ACCOUNT, aud="https://kubernetes.default.svc"),
                assume("no-claims", trust, host),
                # A token from another provider, even with the right claims, does not match Principal.Federated.
                assume(
                    "other-provider",
                    trust,
                    "cognito-identity.amazonaws.com",
                    sub=SERVICE_ACCOUNT,
                    aud="sts.amazonaws.com",
                ),
            ]
        )
    )
    assert_decision(r["right-sa"], ALLOWED)
    for name in ("other-sa-same-ns", "same-sa-other-ns", "wrong-audience", "no-claims", "other-provider"):
        assert_decision(r[name], IMPLICITLY_DENIED)


def test_without_alias_eks_issuer_keys_are_dropped_so_even_the_right_service_account_is_denied():
    """What the alias is for: iam-simulate does not know the EKS issuer's keys,
    drops them from the request context, and the trust policy's conditions then
    fail as missing, so the correct service account is (wrongly) denied."""
    raw = irsa_trust_policy()
    aliased, host = alias_web_identity(raw, ISSUER_HOST)
    with pytest.raises(SimulationError, match="ignored context keys"):
        simulate([assume("strict", raw, ISSUER_HOST, sub=SERVICE_ACCOUNT, aud="sts.amazonaws.com")])
    unaliased, with_alias = simulate(
        [
            assume("unaliased", raw, ISSUER_HOST, sub=SERVICE_ACCOUNT, aud="sts.amazonaws.com"),
            assume("aliased", aliased, host, sub=SERVICE_ACCOUNT, aud="sts.amazonaws.com"),
        ],
        allow_ignored_context_keys=True,
    )
    assert_decision(unaliased, IMPLICITLY_DENIED)
    assert sorted(unaliased.ignored_context_keys) == sorted([f"{ISSUER_HOST}:sub", f"{ISSUER_HOST}:aud"])
    conditions = unaliased.explanation["results"][0]["analysis"]["resourceAnalysis"]["unmatchedStatements"][0][
        "explain"
    ]["conditions"]
    assert all(c["failedBecauseMissing"] for c in conditions)
    assert_decision(with_alias, ALLOWED)
    assert with_alias.ignored_context_keys == []


def test_invalid_input_raises_instead_of_counting_as_denied():
    identity = ses_identity(APP, "zms@example.com")
    ok = AccessRequest(
        "ok",
        ROLE,
        "ses:SendEmail",
        identity,
        APP,
        identity_policies=[policy({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": identity})],
    )
    bad = AccessRequest("bad", ROLE, "ses:NoSuchAction", identity, APP)
    with pytest.raises(SimulationError, match="bad"):
        simulate([ok, bad])
    ok_result, bad_result = simulate([ok, bad], allow_errors=True)
    assert_decision(ok_result, ALLOWED)
    assert_decision(bad_result, "Error")
    assert not bad_result.allowed


def test_one_evaluator_process_answers_every_batch_and_reads_policy_text():
    """The session's batches all go to one Node process; a policy given as the JSON text a
    resource carries is evaluated like the document, and text that is not JSON is an error."""
    identity = ses_identity(APP, "zms@example.com")
    inline = policy({"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": [identity]})
    text = json.dumps(inline)

    def req(name: str, document: dict | str, resource: str = identity) -> AccessRequest:
        return AccessRequest(name, ROLE, "ses:SendEmail", resource, APP, identity_policies=[document])

    [as_text] = simulate([req("text", text)])
    pid, started = evaluator_process()
    assert pid is not None and started == 1
    as_document, elsewhere = simulate([req("document", inline), req("elsewhere", text, ses_identity(APP, "x@y.com"))])
    assert_decision(as_text, ALLOWED)
    assert_decision(as_document, ALLOWED)
    assert_decision(elsewhere, IMPLICITLY_DENIED)
    with pytest.raises(SimulationError, match="broken"):
        simulate([req("broken", "{not json")])
    assert evaluator_process() == (pid, 1)
