"""The committed ZmsNotificationSmoke class against Athenz's built-in SES notifier
(io.athenz.server.aws.common.notification.impl.SESNotificationServiceFactory, Athenz 1.12.14
from Maven Central), for every committed stack with the built-in notifier and every built-in
test configuration of tests/conftest.py::scenario_configs.

ZMS's system properties and env come from the offline plan's DeploymentPatch (JDK_JAVA_OPTIONS,
AWS_REGION, the Secret's keys), never retyped. The java launcher reads JDK_JAVA_OPTIONS itself,
Athenz loads its factory from those properties, and the AWS SDK for Java v2 inside Athenz's
SESEmailProvider finds its credentials through its default chain. What the cluster would add
is added as EKS adds it:

- IRSA: AWS_ROLE_ARN (the role of the plan's ServiceAccount annotation) and
  AWS_WEB_IDENTITY_TOKEN_FILE (a fake JWT of ZMS's ServiceAccount): the SDK's web identity
  provider calls STS AssumeRoleWithWebIdentity, which moto implements (without checking the
  token's signature).
- EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
  served by `PodIdentityAgent` below. That server is ours, standing in for the EKS Pod Identity
  Agent: it checks the token and hands out credentials of the association's role (its target
  role when the plan sets one, as EKS does), which it gets from moto's STS AssumeRole.
- access key: nothing; the plan's IAM user and key are registered in moto's IAM of the plan's
  account, so moto attributes the SDK's requests to that account.

The SDK is pointed at moto with AWS_ENDPOINT_URL_SESV2 and AWS_ENDPOINT_URL_STS (the SDK's
service-specific endpoint variables). moto does not check signatures or IAM policies: what it
proves is which credentials, account and Region the notifier used, and that it sent what SES
would get. The IAM policies are proven elsewhere (tests/test_access.py).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import (
    CONFIGURATION,
    FACTORY_PROPERTY,
    NOT_SENT,
    SENT,
    Moto,
    Run,
    ZmsSetup,
    builtin_stacks,
    load_repo_conftest,
    run_sender,
)

BUILTIN_FACTORY = "io.athenz.server.aws.common.notification.impl.SESNotificationServiceFactory"
EMAIL_SERVICE = "com.yahoo.athenz.common.server.notification.impl.EmailNotificationService"
SUBJECT = "athenz-ses smoke test"
PRINCIPAL = "user.alice"  # an Athenz user, mailed at alice@<athenz.notification_email_domain_to>
STACKS = builtin_stacks()
# The repository's test configurations whose notifier is the built-in one (their config says).
_REPO = load_repo_conftest()
BUILTIN_SCENARIOS = tuple(
    name
    for name, config in _REPO.scenario_configs(Path("plugin.jar")).items()
    if config.get("athenz-ses:notifier", "builtin") == "builtin"
)


def test_the_committed_stacks_with_the_builtin_notifier_are_proven():
    assert STACKS == ["dev", "local", "prod"]  # a new stack file gets its proof by being listed here


def test_every_builtin_scenario_is_proven(scenario_setups):
    assert sorted(scenario_setups) == sorted(BUILTIN_SCENARIOS)
    # Every credential path of the built-in notifier is among them.
    assert {setup.credentials for setup in scenario_setups.values()} == {"irsa", "pod-identity", "access-key"}


# --- what EKS adds: the stand-ins -------------------------------------------------------------


def fake_jwt(setup: ZmsSetup) -> str:
    """A token shaped like the projected ServiceAccount token EKS mounts (not signed)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    namespace = setup.config.get("athenz-ses:namespace", "athenz")
    account = setup.config.get("athenz-ses:serviceAccountName", f"athenz-ses-{setup.name}")
    claims = {
        "iss": setup.config.get("athenz-ses:oidcIssuerUrl", "").rstrip("/"),
        "aud": ["sts.amazonaws.com"],
        "sub": f"system:serviceaccount:{namespace}:{account}",
    }
    return f"{part({'alg': 'RS256', 'kid': 'notifier-proof'})}.{part(claims)}.c2lnbmF0dXJl"


class PodIdentityAgent:
    """OURS, not AWS's: a stand-in for the EKS Pod Identity Agent on 127.0.0.1. It answers the
    SDK's container credentials request when the Authorization header holds the pod's token,
    with credentials of `role_arn` from moto's STS AssumeRole, in the agent's JSON format."""

    def __init__(self, moto: Moto, role_arn: str, token: str):
        self.moto, self.role_arn, self.token = moto, role_arn, token
        self.requests: list[tuple[str, str | None]] = []
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                agent.requests.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != agent.token:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(agent.credentials()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/credentials"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def credentials(self) -> dict:
        account = self.role_arn.split(":")[4]
        sts = self.moto.client("sts", "us-east-1", account)
        creds = sts.assume_role(RoleArn=self.role_arn, RoleSessionName="eks-pod-identity")["Credentials"]
        expiration = datetime.now(UTC) + timedelta(hours=1)
        return {
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "Token": creds["SessionToken"],
            "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def __enter__(self) -> PodIdentityAgent:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Cluster:
    """The env EKS (or the Secret) gives ZMS on top of the patch, for one plan."""

    def __init__(self, setup: ZmsSetup, moto: Moto, tmp: Path):
        self.setup, self.moto, self.tmp = setup, moto, tmp
        self.token = fake_jwt(setup)
        self.agent: PodIdentityAgent | None = None

    def __enter__(self) -> Cluster:
        setup = self.setup
        if setup.credentials == "access-key":
            assert setup.access_key_user is not None
            account, user = setup.access_key_user
            self.moto.register_access_key(
                account, user, setup.env["AWS_ACCESS_KEY_ID"], setup.env["AWS_SECRET_ACCESS_KEY"]
            )
        elif setup.credentials == "pod-identity":
            assert setup.pod_identity is not None
            role = setup.pod_identity.get("targetRoleArn") or setup.pod_identity["roleArn"]
            self.agent = PodIdentityAgent(self.moto, role, self.token).__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.agent is not None:
            self.agent.__exit__(*exc)

    def env(self) -> dict[str, str]:
        env = dict(self.setup.env)
        env["AWS_ENDPOINT_URL_SESV2"] = self.moto.url
        env["AWS_ENDPOINT_URL_STS"] = self.moto.url
        token_file = self.tmp / "token"
        token_file.write_text(self.token)
        if self.setup.credentials == "irsa":
            assert self.setup.role_arn is not None
            env["AWS_ROLE_ARN"] = self.setup.role_arn
            env["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(token_file)
        elif self.setup.credentials == "pod-identity":
            assert self.agent is not None
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = self.agent.url
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(token_file)
        return env


# --- checks ---------------------------------------------------------------------------------


def recipient_address(setup: ZmsSetup) -> str:
    return "alice@" + setup.config["athenz-ses:emailDomainTo"]


def signing(request: dict) -> tuple[str, str, str]:
    """(access key id, Region, service) of a recorded request's SigV4 Authorization header."""
    match = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", request["headers"]["Authorization"])
    assert match, request["headers"]["Authorization"]
    return match.group(1), match.group(2), match.group(3)


def body_of(request: dict) -> str:
    body = request.get("body") or ""
    return base64.b64decode(body).decode(errors="replace") if request.get("body_encoded") else body


def assume_role_arns(access_key: str) -> list[str]:
    """The roles moto's STS issued this temporary key for."""
    from moto.sts.models import sts_backends

    return [
        role.role_arn
        for regions in list(sts_backends.values())
        for backend in list(regions.values())
        for role in backend.assumed_roles
        if role.access_key.access_key_id == access_key
    ]


def assert_sent(setup: ZmsSetup, moto: Moto, run: Run, cluster: Cluster, to: str) -> None:
    assert run.code == SENT, f"{setup.name}: exit {run.code}\n{run.stdout}\n{run.stderr[-3000:]}"
    assert run.lines("factory") == [f"{BUILTIN_FACTORY} (service {EMAIL_SERVICE})"]
    assert run.lines("notify") == [f"{EMAIL_SERVICE} true"] and run.lines("sent") == ["true"]
    assert run.lines("from") == [setup.sender]
    assert run.lines("to") == [to]
    account, region = setup.ses
    (message,) = moto.sent_messages()
    assert (message["account"], message["region"]) == (account, region)
    assert message["source"] == setup.sender
    assert set(message["destinations"]) == {to}  # Destination.ToAddresses, and the MIME Bcc
    assert f"Subject: {SUBJECT}" in message["raw"] and f"From: {setup.sender}" in message["raw"]

    sends = [r for r in moto.requests() if r["url"].endswith("/v2/email/outbound-emails")]
    (send,) = sends
    key, signed_region, service = signing(send)
    assert (signed_region, service) == (region, "ses")
    assert json.loads(body_of(send))["FromEmailAddress"] == setup.sender
    if setup.credentials == "access-key":
        assert key == setup.env["AWS_ACCESS_KEY_ID"]
    elif setup.credentials == "irsa":
        calls = [parse_qs(body_of(r)) for r in moto.requests() if "AssumeRoleWithWebIdentity" in body_of(r)]
        assert [(c["RoleArn"], c["WebIdentityToken"]) for c in calls] == [([setup.role_arn], [cluster.token])]
        assert assume_role_arns(key) == [setup.role_arn]
    else:
        assert cluster.agent is not None and cluster.agent.requests, "the SDK never asked the agent"
        assert {auth for _, auth in cluster.agent.requests} == {cluster.token}
        assert setup.pod_identity is not None
        expected = setup.pod_identity.get("targetRoleArn") or setup.pod_identity["roleArn"]
        assert assume_role_arns(key) == [expected]


def send(
    setup: ZmsSetup,
    moto: Moto,
    tmp_path: Path,
    java,
    classpath,
    zms_conf,
    *,
    recipient=PRINCIPAL,
    seed=None,
    env_change=None,
) -> tuple[Run, Cluster]:
    moto.seed(setup.identities if seed is None else seed)
    with Cluster(setup, moto, tmp_path) as cluster:
        env = cluster.env()
        if env_change:
            env = env_change(env)
        run = run_sender(java, classpath, env, recipient, conf=zms_conf, home=tmp_path)
    return run, cluster


# --- every built-in stack and scenario sends ---------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_sends_through_athenz_builtin_notifier(stack, stack_setups, moto, tmp_path, java, classpath, zms_conf):
    setup = stack_setups[stack]
    run, cluster = send(setup, moto, tmp_path, java, classpath, zms_conf)
    assert_sent(setup, moto, run, cluster, recipient_address(setup))


@pytest.mark.parametrize("scenario", BUILTIN_SCENARIOS)
def test_a_scenario_sends_through_athenz_builtin_notifier(
    scenario, scenario_setups, moto, tmp_path, java, classpath, zms_conf
):
    setup = scenario_setups[scenario]
    run, cluster = send(setup, moto, tmp_path, java, classpath, zms_conf)
    assert_sent(setup, moto, run, cluster, recipient_address(setup))


def test_an_address_is_sent_to_as_it_is(stack_setups, moto, tmp_path, java, classpath, zms_conf):
    setup = stack_setups["local"]
    to = "success@simulator.amazonses.com"
    run, cluster = send(setup, moto, tmp_path, java, classpath, zms_conf, recipient=to)
    assert_sent(setup, moto, run, cluster, to)


# --- and fails where ZMS would not send -------------------------------------------------------


def other_region(region: str) -> str:
    return "us-west-2" if region != "us-west-2" else "eu-central-1"


@pytest.mark.parametrize("stack", STACKS)
def test_a_wrong_region_fails(stack, stack_setups, moto, tmp_path, java, classpath, zms_conf):
    setup = stack_setups[stack]
    wrong = other_region(setup.ses[1])
    run, _ = send(setup, moto, tmp_path, java, classpath, zms_conf, env_change=lambda env: {**env, "AWS_REGION": wrong})
    assert run.code == NOT_SENT, run.stderr[-3000:]
    assert "notify returned false" in run.failure
    assert "Did not have authority to send from email" in run.stderr  # SES v2's MessageRejected, in moto's words
    assert moto.sent_messages() == []
    (send_request,) = [r for r in moto.requests() if r["url"].endswith("/v2/email/outbound-emails")]
    assert signing(send_request)[1] == wrong


@pytest.mark.parametrize("stack", STACKS)
def test_an_unverified_sender_fails(stack, stack_setups, moto, tmp_path, java, classpath, zms_conf):
    setup = stack_setups[stack]
    domain = setup.sender.split("@", 1)[1]
    others = [i for i in setup.identities if i[0] not in (setup.sender, domain)]
    run, _ = send(setup, moto, tmp_path, java, classpath, zms_conf, seed=others)
    assert run.code == NOT_SENT, run.stderr[-3000:]
    assert "notify returned false" in run.failure
    assert moto.sent_messages() == []


def without_factory(env: dict[str, str]) -> dict[str, str]:
    flags = [f for f in env["JDK_JAVA_OPTIONS"].split() if not f.startswith(f"-D{FACTORY_PROPERTY}=")]
    assert len(flags) == len(env["JDK_JAVA_OPTIONS"].split()) - 1
    return {**env, "JDK_JAVA_OPTIONS": " ".join(flags)}


@pytest.mark.parametrize("stack", STACKS)
def test_a_missing_factory_property_fails(stack, stack_setups, moto, tmp_path, java, classpath, zms_conf):
    setup = stack_setups[stack]
    run, _ = send(setup, moto, tmp_path, java, classpath, zms_conf, env_change=without_factory)
    assert run.code == CONFIGURATION
    assert run.failure == (
        f"ZmsNotificationSmoke: {FACTORY_PROPERTY} is not set: ZMS loads no notifier and sends no notification"
    )
    assert moto.sent_messages() == []


# --- zms.properties wins over the -D flags ----------------------------------------------------


def conf_with(tmp_path: Path, zms_properties: str) -> Path:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "athenz.properties").write_text("")
    (conf / "zms.properties").write_text(zms_properties)
    return conf


def test_a_factory_in_zms_properties_overrides_the_flag(stack_setups, moto, tmp_path, java, classpath):
    """The first article's `make patch` writes the factory property into zms.properties: then
    the stack's -D flag has no effect (README: the caveat under What the stack creates)."""
    setup = stack_setups["local"]
    conf = conf_with(tmp_path, f"{FACTORY_PROPERTY}=com.mlajkim.athenz.AwsSesPlugin\n")
    moto.seed(setup.identities)
    with Cluster(setup, moto, tmp_path) as cluster:
        run = run_sender(java, classpath, cluster.env(), PRINCIPAL, conf=conf, home=tmp_path)
    assert f"-D{FACTORY_PROPERTY}={BUILTIN_FACTORY}" in setup.env["JDK_JAVA_OPTIONS"]
    assert run.code == CONFIGURATION
    assert "notification service factory com.mlajkim.athenz.AwsSesPlugin cannot be loaded" in run.failure
    assert moto.sent_messages() == []


def test_the_file_wins_the_other_way_round_too(stack_setups, moto, tmp_path, java, classpath):
    setup = stack_setups["local"]
    conf = conf_with(tmp_path, f"{FACTORY_PROPERTY}={BUILTIN_FACTORY}\n")
    moto.seed(setup.identities)
    with Cluster(setup, moto, tmp_path) as cluster:
        env = cluster.env()
        env["JDK_JAVA_OPTIONS"] = env["JDK_JAVA_OPTIONS"].replace(BUILTIN_FACTORY, "com.example.NoSuchFactory")
        run = run_sender(java, classpath, env, PRINCIPAL, conf=conf, home=tmp_path)
    assert_sent(setup, moto, run, cluster, recipient_address(setup))


def test_athenz_prop_file_names_the_file(stack_setups, moto, tmp_path, java, classpath, zms_conf):
    """-Dathenz.zms.prop_file (what the images' entrypoints pass) is read before $CONF_PATH."""
    setup = stack_setups["local"]
    elsewhere = tmp_path / "elsewhere.properties"
    elsewhere.write_text(f"{FACTORY_PROPERTY}=com.example.FromTheNamedFile\n")
    moto.seed(setup.identities)
    with Cluster(setup, moto, tmp_path) as cluster:
        env = cluster.env()
        env["JDK_JAVA_OPTIONS"] += f" -Dathenz.zms.prop_file={elsewhere}"
        run = run_sender(java, classpath, env, PRINCIPAL, conf=zms_conf, home=tmp_path)
    assert run.lines("zms.properties") == [str(elsewhere)]
    assert run.code == CONFIGURATION and "com.example.FromTheNamedFile" in run.failure


def test_an_unreadable_zms_properties_stops_it_as_it_stops_zms(stack_setups, moto, tmp_path, java, classpath):
    setup = stack_setups["local"]
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "athenz.properties").write_text("")
    with Cluster(setup, moto, tmp_path) as cluster:
        run = run_sender(java, classpath, cluster.env(), PRINCIPAL, conf=conf, home=tmp_path)
    assert run.code == CONFIGURATION
    assert run.failure.startswith(f"ZmsNotificationSmoke: cannot load {conf}/zms.properties (ZMS would not start)")
