"""What the proof runs on: the committed sender class, Athenz's classpath from Maven, the
offline plans (ZMS's system properties and env, taken from the plan's DeploymentPatch),
a local SES v2 / STS endpoint (moto's server), and the sender run with `java`.

What is ours and what is not:
- Athenz's: every class the sender loads and calls (ConfigManager, the notifier factory,
  EmailNotificationService, SESEmailProvider) and the AWS SDK for Java v2 inside them
  (its default credentials chain, web identity and container providers, Region chain).
- ours: the sender class under test, moto's server standing in for SES and STS, the
  stand-in for the EKS Pod Identity Agent (test_builtin_notifier.py) and the test plugin
  (test_plugin.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROOF = ROOT / "notifier_proof"
TARGET = PROOF / "target"
SENDER_DIR = ROOT / "athenz_ses" / "sender"
SENDER_CLASS = "ZmsNotificationSmoke"
FACTORY_PROPERTY = "athenz.zms.notification_service_factory_class"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"

# Exit codes of the sender (its class comment).
SENT, NOT_SENT, USAGE, CONFIGURATION = 0, 1, 2, 3


def load_repo_conftest():
    """The repository's tests/conftest.py (scenario_configs), loaded under its own name:
    this folder's conftest is `conftest` too."""
    spec = importlib.util.spec_from_file_location("athenz_ses_repo_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_classpath(name: str) -> str:
    path = TARGET / name
    if not path.is_file():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: run `bash notifier_proof/run.sh` (it resolves it with Maven)"
        )
    return path.read_text().strip()


@pytest.fixture(scope="session")
def classpath() -> str:
    """Athenz 1.12.14 (athenz-server-common, athenz-server-aws-common) and dependencies."""
    return read_classpath("classpath.txt")


@pytest.fixture(scope="session")
def newer_classpath() -> str:
    """The same with athenz-server-common (and athenz-auth-core) of a newer ZMS, 1.12.44."""
    return read_classpath("classpath-newer.txt")


@pytest.fixture(scope="session")
def java() -> str:
    found = shutil.which("java")
    if found is None:
        pytest.fail("java (JDK 17) is required")
    return found


# --- the plans ----------------------------------------------------------------------------


@dataclass
class ZmsSetup:
    """What one plan gives ZMS, read from the plan alone."""

    name: str
    config: dict[str, str]
    env: dict[str, str]
    """The DeploymentPatch's env: values, and secretKeyRefs resolved in the plan's Secrets."""
    identities: list[tuple[str, str, str]]
    """(identity, account, Region) of every aws:sesv2/emailIdentity:EmailIdentity."""
    role_arn: str | None = None
    """IRSA: the role of the ServiceAccount's annotation."""
    pod_identity: dict[str, Any] | None = None
    """EKS Pod Identity: the association of ZMS's ServiceAccount (roleArn, targetRoleArn)."""
    secret_data: dict[str, dict[str, str]] = field(default_factory=dict)
    access_key_user: tuple[str, str] | None = None
    """(account, user) of the plan's aws:iam/accessKey:AccessKey: whose key the Secret holds."""

    @property
    def sender(self) -> str:
        return self.config["athenz-ses:senderEmail"]

    @property
    def ses(self) -> tuple[str, str]:
        """(account, Region) of the identity the sender address sends as."""
        domain = self.sender.split("@", 1)[1]
        for identity, account, region in self.identities:
            if identity in (self.sender, domain):
                return account, region
        raise AssertionError(f"{self.name}: no identity for {self.sender} in {self.identities}")

    @property
    def credentials(self) -> str:
        if self.role_arn:
            return "irsa"
        if self.pod_identity:
            return "pod-identity"
        if "AWS_ACCESS_KEY_ID" in self.env:
            return "access-key"
        if "AWS_SES_USER" in self.env:
            return "smtp"
        raise AssertionError(f"{self.name}: no credentials in the plan")


def zms_setup(name: str, plan) -> ZmsSetup:
    from offline_plan.engine import reveal

    assert plan.error is None, f"{name}: {plan.error}"
    patch = plan.one("kubernetes:apps/v1:DeploymentPatch")
    pod = reveal(patch.inputs)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    secrets = {}
    for secret in plan.of_type("kubernetes:core/v1:Secret"):
        inputs = reveal(secret.inputs)
        secrets[inputs["metadata"]["name"]] = dict(inputs.get("stringData") or {})
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
    setup = ZmsSetup(
        name=name,
        config=dict(plan.config),
        env=env,
        identities=[
            (r.inputs["emailIdentity"], r.location.account, r.location.region)
            for r in plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")
        ],
        secret_data=secrets,
    )
    keys = plan.of_type("aws:iam/accessKey:AccessKey")
    if keys:
        (key,) = keys
        setup.access_key_user = (key.location.account, reveal(key.inputs)["user"])
    account_name = pod.get("serviceAccountName")
    if account_name:
        namespace = reveal(patch.inputs)["metadata"]["namespace"]
        (account,) = [
            reveal(r.inputs)
            for r in plan.of_type("kubernetes:core/v1:ServiceAccount")
            if reveal(r.inputs)["metadata"]["name"] == account_name
            and reveal(r.inputs)["metadata"]["namespace"] == namespace
        ]
        setup.role_arn = (account["metadata"].get("annotations") or {}).get(ROLE_ARN_ANNOTATION)
        if setup.role_arn is None:
            (association,) = [
                reveal(r.inputs)
                for r in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if reveal(r.inputs)["serviceAccount"] == account_name and reveal(r.inputs)["namespace"] == namespace
            ]
            setup.pod_identity = association
    return setup


def builtin_stacks() -> list[str]:
    """The committed stacks whose notifier is Athenz's built-in one (Pulumi.<stack>.yaml)."""
    from offline_plan.stackfile import stack_config_and_secrets
    from offline_plan.stacks import committed_stacks

    out = []
    for stack in committed_stacks():
        config = stack_config_and_secrets(stack)[0]
        if config.get("athenz-ses:notifier", "builtin") == "builtin":
            out.append(stack)
    return sorted(out)


@pytest.fixture(scope="session")
def stack_setups() -> dict[str, ZmsSetup]:
    """Every committed stack, planned as the golden plans are."""
    from offline_plan.golden import golden_plan
    from offline_plan.stacks import committed_stacks

    return {stack: zms_setup(stack, golden_plan(stack)) for stack in committed_stacks()}


@pytest.fixture(scope="session")
def scenario_setups(tmp_path_factory) -> dict[str, ZmsSetup]:
    """The test configurations of tests/conftest.py::scenario_configs whose notifier is the
    built-in one, planned by offline_plan's engine."""
    from offline_plan.engine import run_program

    repo = load_repo_conftest()
    jar = tmp_path_factory.mktemp("unused-jar") / "plugin.jar"  # only the plugin scenario reads it
    out = {}
    for name, config in repo.scenario_configs(jar).items():
        if config.get("athenz-ses:notifier", "builtin") != "builtin":
            continue
        out[name] = zms_setup(name, run_program(name, config))
    return out


# --- moto: the local SES v2 and STS endpoint -------------------------------------------------


class Moto:
    """moto's server on 127.0.0.1 (in this process, in a thread), recording every request."""

    def __init__(self, recording: Path):
        from moto.server import ThreadedMotoServer

        self.recording = recording
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def post(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.read()

    def reset(self) -> None:
        self.post("/moto-api/reset")
        self.post("/moto-api/recorder/reset-recording")
        self.post("/moto-api/recorder/start-recording")

    def requests(self) -> list[dict[str, Any]]:
        """Every request since the last reset: headers, method, url, body."""
        text = self.recording.read_text() if self.recording.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def client(self, service: str, region: str, account: str):
        """A boto3 client whose requests moto attributes to `account` (test set-up only)."""
        import boto3

        client = boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="AKIASETUPSETUPSETUP0",
            aws_secret_access_key="setup",
        )

        def add_account(request, **_):
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.*.*", add_account)
        return client

    def seed(self, identities: list[tuple[str, str, str]]) -> None:
        for identity, account, region in identities:
            self.client("sesv2", region, account).create_email_identity(EmailIdentity=identity)

    def register_access_key(self, account: str, user: str, key_id: str, secret: str) -> None:
        """The plan's IAM user and its access key, in moto's IAM of the plan's account, under
        the plan's key id and secret: moto then attributes requests signed with that key to
        that account (moto draws key ids itself, so the created key is renamed in place)."""
        from moto.iam.models import iam_backends

        iam = self.client("iam", "us-east-1", account)
        iam.create_user(UserName=user)
        created = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        backend = iam_backends[account]["aws"]
        key = backend.access_keys.pop(created)
        key.access_key_id, key.secret_access_key = key_id, secret
        backend.access_keys[key_id] = key

    def sent_messages(self) -> list[dict[str, Any]]:
        """moto's SES backend's sent messages, with the account and Region that got them."""
        from moto.ses.models import ses_backends

        out = []
        for account, regions in list(ses_backends.items()):
            for region, backend in list(regions.items()):
                for message in backend.sent_messages:
                    out.append(
                        {
                            "account": account,
                            "region": region,
                            "source": message.source,
                            "destinations": list(message.destinations),
                            "raw": getattr(message, "raw_data", ""),
                        }
                    )
        return out


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[Moto]:
    recording = tmp_path_factory.mktemp("moto") / "recording.jsonl"
    # The recorder reads its file's path when moto is imported.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    os.environ.pop("MOTO_ACCOUNT_ID", None)  # accounts come from the credentials (or the test)
    server = Moto(recording)
    server.server.start()
    try:
        yield server
    finally:
        server.server.stop()


@pytest.fixture
def moto(moto_server: Moto, monkeypatch) -> Moto:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    moto_server.reset()
    return moto_server


# --- the sender ------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def lines(self, key: str) -> list[str]:
        return [line.split(": ", 1)[1] for line in self.stdout.splitlines() if line.startswith(key + ": ")]

    @property
    def failure(self) -> str:
        """The sender's own line on stderr (the libraries log there too)."""
        mine = [line for line in self.stderr.splitlines() if line.startswith("ZmsNotificationSmoke: ")]
        return mine[-1] if mine else ""


@pytest.fixture(scope="session")
def zms_conf(tmp_path_factory) -> Path:
    """ZMS's configuration folder ($CONF_PATH) as the images have it, reduced to what the
    notifier needs: athenz.properties and zms.properties that set none of its keys."""
    conf = tmp_path_factory.mktemp("zms_server")
    (conf / "athenz.properties").write_text("# the container's settings: none of the notifier's\n")
    (conf / "zms.properties").write_text("athenz.user_domain=user\n")
    return conf


def run_sender(
    java: str,
    classpath: str,
    env: Mapping[str, str],
    recipient: str,
    *,
    conf: Path,
    home: Path,
    sender_dir: Path = SENDER_DIR,
) -> Run:
    """`java -classpath "<sender dir>:$CLASSPATH:$USER_CLASSPATH" ZmsNotificationSmoke <recipient>`
    with only ZMS's env (from the plan) and what the cluster adds, not this machine's: HOME,
    AWS config files and IMDS point nowhere, so the SDK finds only the credentials given."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "CONF_PATH": str(conf),
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **env,
    }
    done = subprocess.run(
        [java, "-classpath", f"{sender_dir}:{classpath}", SENDER_CLASS, recipient],
        env=clean,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return Run(done.returncode, done.stdout, done.stderr)
