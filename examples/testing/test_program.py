"""Unit tests of zms_mail.py under athenz_ses.testing, the package's mock of the engine.

They show what the program sends to the engine (resources, inputs, look-ups), not what
AWS or Kubernetes do with it. Run them with `pytest` in this folder, with the package
installed (README.md next to this file): nothing else of the repository is needed.
"""

import json

import pulumi
import pytest
import zms_mail

from athenz_ses.testing import AthenzSesMocks

ACCOUNT = "111111111111"
REGION = "eu-west-1"
SENDER = "zms@example.com"
CONFIG = {
    "aws:region": REGION,
    "zms-mail:clusterName": "platform",
    "zms-mail:senderEmail": SENDER,
    "zms-mail:emailDomainTo": "example.com",
}


@pytest.fixture
def mocks() -> AthenzSesMocks:
    """The program run once under a fresh mock; the test reads what it recorded."""
    pulumi.runtime.set_all_config(CONFIG)
    mocks = AthenzSesMocks(account_id=ACCOUNT, region=REGION)
    pulumi.runtime.set_mocks(mocks, project="zms-mail", stack="test", preview=False)
    pulumi.runtime.test(zms_mail.main)()  # runs it and waits for every registration
    return mocks


def test_zms_may_send_only_as_its_sender_and_only_from_its_address(mocks):
    (send,) = [p for p in mocks.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-send")]
    (statement,) = json.loads(send.inputs["policy"])["Statement"]
    assert statement["Action"] == ["ses:SendEmail", "ses:SendRawEmail"]
    assert statement["Resource"] == [
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SENDER}",
        # Out of the sandbox, bounce handling: ZMS's sends go through its configuration set.
        f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/zms-mail-test",
    ]
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": [SENDER]}}


def test_only_zms_service_account_of_the_cluster_may_assume_the_role(mocks):
    role = mocks.one("aws:iam/role:Role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert mocks.calls_of("aws:eks/getCluster:getCluster") == [{"name": "platform"}]
    # The issuer of the cluster the program looked up (the mock's EKS issuer in its Region).
    (provider,) = statement["Principal"]["Federated"]
    assert provider.startswith(f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/")
    host = provider.split(":oidc-provider/")[1]
    assert statement["Condition"]["StringEquals"] == {
        f"{host}:sub": ["system:serviceaccount:athenz:zms-mail-test"],  # <component>-<stack>
        f"{host}:aud": ["sts.amazonaws.com"],
    }
    assert role.outputs["arn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")


def test_the_patch_gives_zms_the_notifier_and_sender_in_jdk_java_options(mocks):
    patch = mocks.one("kubernetes:apps/v1:DeploymentPatch")
    assert patch.inputs["metadata"]["name"] == "athenz-zms-server"  # the layout's Deployment
    (container,) = patch.inputs["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    options = env["JDK_JAVA_OPTIONS"].split()
    factory = "io.athenz.server.aws.common.notification.impl.SESNotificationServiceFactory"
    assert f"-Dathenz.zms.notification_service_factory_class={factory}" in options
    assert "-Dathenz.notification_email_from=zms" in options
    assert "-Dathenz.notification_email_domain_from=example.com" in options
    assert env["AWS_REGION"] == REGION


def test_zms_is_read_before_it_is_patched(mocks):
    """The component reads ZMS's Deployment and its ServiceAccount (the mock answers with
    the layout's stock ones, without AWS credentials) before it replaces ZMS's credentials."""
    assert ("kubernetes:apps/v1:Deployment", "athenz/athenz-zms-server") in mocks.reads
    assert ("kubernetes:core/v1:ServiceAccount", "athenz/default") in mocks.reads


def test_a_sender_that_is_no_address_is_refused_before_anything_is_created():
    pulumi.runtime.set_all_config({**CONFIG, "zms-mail:senderEmail": "zms at example.com"})
    mocks = AthenzSesMocks(account_id=ACCOUNT, region=REGION)
    pulumi.runtime.set_mocks(mocks, project="zms-mail", stack="test", preview=False)
    with pytest.raises(ValueError, match="sender_email"):
        pulumi.runtime.test(zms_mail.main)()
    assert mocks.of_type("aws:iam/role:Role") == []
