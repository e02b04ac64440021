"""SendingUser: an IAM user that may only send as the given identities, and its key
(or the key's SES SMTP password).

Secretness of secret_access_key and smtp_password is not tested here: the SDK's public
API has no way to ask an Output whether it is secret, and the mock receives secrets
unwrapped (the offline-plan tests cover it)."""

from __future__ import annotations

import pulumi
import pytest

from athenz_ses.sending_user import SendingUser, SendingUserArgs
from offline_plan.mocks import autoname

from .unit_mocks import ACCOUNT, as_list, statement

USER = "aws:iam/user:User"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
SEND_ARNS = [
    f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/zms@example.com",
    f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/alice@example.com",
]


FROM = ["zms@example.com"]


def build(smtp: bool, send_arns=SEND_ARNS, region="us-east-1") -> tuple[SendingUser, dict]:
    """Build the component; returns it and its resolved outputs."""
    built: list[SendingUser] = []
    out: dict = {}

    @pulumi.runtime.test
    def run():
        user = SendingUser(
            "mailer", SendingUserArgs(region=region, send_arns=send_arns, smtp=smtp, from_addresses=FROM)
        )
        built.append(user)
        outputs = dict(
            user_arn=user.user_arn,
            send_policy=user.send_policy,
            access_key_id=user.access_key_id,
            secret_access_key=user.secret_access_key,
            smtp_password=user.smtp_password,
        )
        return pulumi.Output.all(**outputs).apply(out.update)

    run()
    return built[0], out


def test_access_key_user_may_send_email_and_raw_email_on_exactly_the_given_identities(mocks):
    _, out = build(smtp=False)
    st = statement(mocks.one(USER_POLICY).inputs["policy"])
    assert st["Effect"] == "Allow"
    assert sorted(as_list(st["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert sorted(as_list(st["Resource"])) == sorted(SEND_ARNS)
    assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Condition"}  # no NotAction
    # Only as the sender: an identity of a domain would cover every address of it.
    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": ["zms@example.com"]}}
    assert out["send_policy"] == mocks.one(USER_POLICY).inputs["policy"]


def test_smtp_user_may_only_send_raw_email(mocks):
    build(smtp=True)
    st = statement(mocks.one(USER_POLICY).inputs["policy"])
    assert as_list(st["Action"]) == ["ses:SendRawEmail"]  # what an SMTP send is authorized as
    assert sorted(as_list(st["Resource"])) == sorted(SEND_ARNS)
    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": ["zms@example.com"]}}


def test_a_user_without_a_from_address_is_refused_before_anything_is_registered(mocks):
    @pulumi.runtime.test
    def run():
        SendingUser("mailer", SendingUserArgs(region="us-east-1", send_arns=SEND_ARNS))

    with pytest.raises(ValueError, match="from_addresses: at least one From address"):
        run()
    assert mocks.resources == []


def test_send_arns_may_be_an_output(mocks):
    build(smtp=False, send_arns=pulumi.Output.from_input(SEND_ARNS[:1]))
    assert as_list(statement(mocks.one(USER_POLICY).inputs["policy"])["Resource"]) == SEND_ARNS[:1]


def test_user_lives_under_the_athenz_ses_path_and_holds_the_policy_and_key(mocks):
    _, out = build(smtp=False)
    assert mocks.one(USER).inputs == {"path": "/athenz-ses/"}
    name = autoname("mailer-user")
    assert out["user_arn"] == f"arn:aws:iam::{ACCOUNT}:user/athenz-ses/{name}"
    assert mocks.one(USER_POLICY).inputs["user"] == name
    assert mocks.one(ACCESS_KEY).inputs["user"] == name
    assert mocks.types() == {USER, USER_POLICY, ACCESS_KEY}


def test_access_key_mode_hands_out_the_key_and_no_smtp_settings(mocks):
    user, out = build(smtp=False)
    assert out["access_key_id"].startswith("AKIA")
    assert out["secret_access_key"] == "mock-secret-access-key"  # the key's own secret
    assert user.smtp_password is None and out["smtp_password"] is None
    assert user.smtp_host is None


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_smtp_mode_hands_out_the_regions_smtp_password_and_host_and_no_secret_key(mocks, region):
    user, out = build(smtp=True, region=region)
    assert out["smtp_password"] == "mock-smtp-password"  # the key's SES SMTP password (SigV4)
    assert user.secret_access_key is None and out["secret_access_key"] is None
    assert user.smtp_host == f"email-smtp.{region}.amazonaws.com"
    assert user.smtp_port == 587
    assert out["access_key_id"].startswith("AKIA")  # the SMTP user name
