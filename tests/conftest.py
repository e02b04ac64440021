"""Stack configurations the tests run __main__.py with, under the SDK's mock engine."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from java_fixtures import RELEASES, SOURCES, own_classes, start_javac

from offline_plan import golden
from offline_plan.__main__ import main as offline_plan_main
from offline_plan.engine import PROJECT_DIR, Plan, Secret, reveal, run_program
from policy_pack.policy_reader import documents
from program.settings import ConfigError, config_strings

# Property tests (test_properties.py): two Hypothesis profiles, chosen by the environment
# variable HYPOTHESIS_PROFILE (default "ci": `python -m pytest`, the README's command and
# .ci/run all use it).
#   ci   the smaller budget, derandomized: every run, CI's included, checks the same examples.
#        max_examples 25: 25 examples for each property test that runs the program under
#        the mock engine, a multiple of it for the cheap ones (test_properties.examples).
#   dev  four times the budget (max_examples 100), new random examples on every run, and
#        Hypothesis's example database (.hypothesis/) replays the failures it found:
#        `HYPOTHESIS_PROFILE=dev venv/bin/python -m pytest tests/test_properties.py`.
# No deadline: a run under the mock engine has no business being timed.
hypothesis_settings.register_profile(
    "ci", max_examples=25, derandomize=True, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@given(st.characters())
@hypothesis_settings(max_examples=1, database=None)
def _hypothesis_started(_: str) -> None:
    """Nothing: running it makes Hypothesis do, before any test, what it does on its first
    tests. It creates and registers its own PRNG, checking with gc.get_referrers that
    something holds it (that check cannot see frozen objects: below). Its first character
    writes its cache of the Unicode table (.hypothesis/ in the project's folder), which
    under pytest-xdist could otherwise appear while another worker compares the project's
    folder before and after a plan (test_offline_plan)."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection left alive (the SDKs' modules and types, the tests) is frozen out of
    the garbage collector: the full collections of the run (the offline plan's after a
    failed registration, offline_plan/sdk_gap.py, and Python's own) then scan only what
    the tests make, about 2 s of CPU less in this suite."""
    _hypothesis_started()
    gc.collect()
    gc.freeze()


CLUSTER = "111111111111"
SES = "222222222222"
ISSUER_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER = f"https://{ISSUER_HOST}"
SES_ROLE = f"arn:aws:iam::{SES}:role/athenz-ses-deployer"
PLUGIN_CLASS = "com.mlajkim.athenz.AwsSesPlugin"
BUILTIN_CLASS = "io.athenz.server.aws.common.notification.impl.SESNotificationServiceFactory"


cfg = config_strings  # config with project keys given by name (aws_region -> aws:region)


@pytest.fixture(scope="session")
def plugin_jar(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plugin") / "ses-plugin.jar"
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr(
            zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=(1980, 1, 1, 0, 0, 0)),
            "Manifest-Version: 1.0\nCreated-By: a stand-in for the plugin jar\n",
        )
    return path


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that `build` fills once for the whole test run, and only reads after.

    Under pytest-xdist each worker runs the session fixtures of its own: the workers share
    the folder (in the run's base temporary folder, above each worker's) and the first to
    take its lock builds it while the others wait. A build that failed is tried again.
    Without POSIX file locks (Windows) each worker builds its own."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        root = root.parent
    folder, built = root / name, root / f"{name}.built"
    with open(root / f"{name}.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not built.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            built.touch()
    return folder


def _compile_java(folder: Path) -> None:
    javac = shutil.which("javac")
    if javac is None:
        pytest.fail("javac (JDK 17) is required: these tests compile their Java fixtures at test time")
    started = {release: start_javac(javac, folder / release, SOURCES, release)[0] for release in RELEASES}
    for release, process in started.items():
        output = process.communicate()[0]
        assert process.returncode == 0, f"javac --release {release}: {output}"


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory) -> Callable[..., Path]:
    """The classes javac compiles from the tests' Java sources (java_fixtures.SOURCES):
    one javac per release for the whole run, the releases side by side. Returns
    `classes(sources, release="17")`: a folder of the class files of `sources` alone."""
    compiled = built_once(tmp_path_factory, "java", _compile_java)
    copies: dict[tuple[tuple[str, ...], str], Path] = {}

    def classes(sources: dict[str, str], release: str = "17") -> Path:
        assert all(SOURCES[name] == text for name, text in sources.items()), "a source not in java_fixtures.SOURCES"
        key = (tuple(sorted(sources)), release)
        if key not in copies:
            copies[key] = own_classes(
                compiled / release / "classes", sources, tmp_path_factory.mktemp(f"java{release}")
            )
        return copies[key]

    return classes


def scenario_configs(jar: Path) -> dict[str, dict[str, str]]:
    """One configuration per send path of the decision table (README: Which setup), each
    with the links ZMS's mails carry."""
    plugin = dict(notifier="plugin", pluginJar=str(jar), pluginFactoryClass=PLUGIN_CLASS)
    return {name: {**cfg(**LINKS), **config} for name, config in _scenarios(plugin).items()}


LINKS = {"athenzUiUrl": "https://athenz.example.com", "workflowUrl": "https://athenz.example.com/workflow"}


def _scenarios(plugin: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        # EKS, SES in the cluster account: built-in notifier, ZMS's own IRSA role.
        "same-account-irsa": cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            oidcIssuerUrl=ISSUER + "/",
            emailDomainTo="example.com",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com", "bob@example.com"],
        ),
        # EKS, SES in another account and Region: ZMS's role and the issuer's OIDC provider
        # live in the SES account (federated-role, the default); one delegated sender too.
        "cross-federated-irsa": cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            oidcIssuerUrl=ISSUER,
            sesAccountId=SES,
            sesRegion="us-east-1",
            sesProfile="ses-admin",
            emailDomainTo="example.com",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            senderServiceAccounts=["mailer/reports"],
        ),
        # The second article: delegated senders in the cluster account send as the SES
        # account's identity by sending authorization; ZMS itself uses an access key.
        "cross-sending-authorization": cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            oidcIssuerUrl=ISSUER,
            sesAccountId=SES,
            sesRoleArn=SES_ROLE,
            crossAccountMode="sending-authorization",
            credentials="access-key",
            sandbox=False,
            emailDomainTo="example.org",
            senderEmail="zms@example.com",
            senderServiceAccounts=["mailer/reports", "billing/invoices"],
        ),
        # EKS Pod Identity, SES in the cluster account: ZMS's role and one delegated
        # sender's, each trusted by EKS for its own ServiceAccount of this cluster only.
        "same-account-pod-identity": cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            eksClusterName="prod",
            emailDomainTo="example.com",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            senderServiceAccounts=["mailer/reports"],
        ),
        # EKS Pod Identity, SES in another account: the association roles stay in the
        # cluster account and chain into target roles of the SES account; no OIDC
        # provider, no identity policy, in the sandbox.
        "cross-pod-identity": cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            credentials="pod-identity",
            eksClusterName="prod",
            sesAccountId=SES,
            sesRoleArn=SES_ROLE,
            emailDomainTo="example.com",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            senderServiceAccounts=["mailer/reports"],
        ),
        # kind, one account: built-in notifier with an IAM user's access key.
        "kind-access-key": cfg(
            aws_region="ap-northeast-1",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
        # The first article: kind, one account, the SMTP plugin.
        "kind-smtp": cfg(
            aws_region="ap-northeast-1",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            **plugin,
        ),
    }


SCENARIOS = (
    "same-account-irsa",
    "cross-federated-irsa",
    "cross-sending-authorization",
    "same-account-pod-identity",
    "cross-pod-identity",
    "kind-access-key",
    "kind-smtp",
)


@pytest.fixture(scope="session")
def configs(plugin_jar) -> dict[str, dict[str, str]]:
    return scenario_configs(plugin_jar)


@pytest.fixture(scope="session")
def plans(configs) -> dict[str, Plan]:
    """Each scenario planned once for the whole session; tests only read them."""
    out = {}
    for name in SCENARIOS:
        plan = run_program(name, configs[name])
        assert plan.error is None, f"{name}: {plan.error}"
        out[name] = plan
    return out


def config_error(plan: Plan) -> ConfigError:
    """The plan's error, which must be one ConfigError (one bad key)."""
    assert isinstance(plan.error, ConfigError), repr(plan.error)
    return plan.error


def walk(value: Any, inside_secret: bool = False):
    """Yield (leaf, is_secret) for every leaf of a plan value."""
    if isinstance(value, Secret):
        yield from walk(value.value, True)
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v, inside_secret)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, inside_secret)
    else:
        yield value, inside_secret


@pytest.fixture(scope="session")
def stack_plans() -> dict[str, Plan]:
    """Each committed Pulumi.<stack>.yaml planned once, as the golden plans hold it."""
    from offline_plan.golden import golden_plan
    from offline_plan.stacks import committed_stacks

    return {stack: golden_plan(stack) for stack in committed_stacks()}


# A user's copy of a committed stack: other accounts, another Region, other names.
MOVED_ACCOUNTS = {"111111111111": "333333333333", "222222222222": "444444444444"}
MOVED_REGION = "ap-southeast-2"
MOVED_NAMES = {"athenz-prod": "platform", "Z0EXAMPLE1234567890": "Z0MOVED0000000000000", "athenz-ses-deployer": "mail"}


def moved_config(stack: str) -> dict[str, str]:
    """The committed stack's config with every account id, Region and named thing replaced:
    what a user's copy of it in their own accounts looks like (tests derive what they
    expect from a stack's own config, so the copy must pass them all)."""
    from offline_plan.stackfile import stack_config_and_secrets

    config, _ = stack_config_and_secrets(stack)
    region = config["aws:region"]
    moved = {}
    for key, value in config.items():
        for old, new in {**MOVED_ACCOUNTS, **MOVED_NAMES, region: MOVED_REGION}.items():
            value = value.replace(old, new)
        moved[key] = value
    return moved


@pytest.fixture(scope="session")
def moved_plans() -> dict[str, Plan]:
    """Each committed stack's copy (moved_config), planned once."""
    from offline_plan.stacks import committed_stacks, plan_stack

    out = {}
    for stack in committed_stacks():
        plan = plan_stack(stack, config=moved_config(stack), always_placeholder_jar=True).plan
        assert plan.error is None, f"{stack}: {plan.error}"
        out[stack] = plan
    return out


@pytest.fixture(scope="session")
def every_plan(plans, stack_plans, moved_plans) -> dict[str, Plan]:
    """The scenarios, every committed stack and its copy in other accounts and a Region,
    keyed `scenario:<name>`, `stack:<name>` and `moved:<name>`."""
    return {
        **{f"scenario:{k}": v for k, v in plans.items()},
        **{f"stack:{k}": v for k, v in stack_plans.items()},
        **{f"moved:{k}": v for k, v in moved_plans.items()},
    }


def every_plan_name() -> list[str]:
    """The keys of every_plan, for parametrize."""
    from offline_plan.stacks import committed_stacks

    stacks = committed_stacks()
    return [f"scenario:{s}" for s in SCENARIOS] + [f"stack:{s}" for s in stacks] + [f"moved:{s}" for s in stacks]


WILDCARD_KEYS = ("Action", "Resource", "Principal", "NotAction", "NotResource", "NotPrincipal")


def policy_documents(plan: Plan) -> list[dict]:
    """Every IAM, SES and SNS policy document the plan sends, parsed
    (tests/test_policy_reader.py: the reader misses none)."""
    return [dict(document) for r in plan.resources for _, document in documents(r.type, r.inputs, reveal)]


def assert_no_wildcards(document: dict) -> None:
    """No `*` in any action, resource or principal (nor their Not- forms)."""
    for statement in document["Statement"]:
        for key in WILDCARD_KEYS:
            assert "*" not in json.dumps(statement.get(key, "")), (key, statement)


@dataclass
class CommandResult:
    """What a command printed and its exit status, as `subprocess.run` reports them."""

    returncode: int
    stdout: str
    stderr: str


def run_command(main: Callable[[list[str]], int], *args: str) -> CommandResult:
    """`python -m <module> ARGS` from the project's folder, run in this process: the
    module's `main(argv)` with its output captured and its exit status as the interpreter
    would report it. A fresh interpreter costs the SDK import (about a second); one test
    (test_offline_plan.py) still runs `python -m offline_plan` as a user does."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.chdir(PROJECT_DIR), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            returncode = main(list(args))
        except SystemExit as stop:  # argparse's usage errors, a message given to SystemExit
            if stop.code is None or isinstance(stop.code, int):
                returncode = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
                returncode = 1
    return CommandResult(returncode, stdout.getvalue(), stderr.getvalue())


def offline_plan(*args: str) -> CommandResult:
    """`python -m offline_plan ARGS`, in this process (see run_command)."""
    return run_command(offline_plan_main, *args)


def golden_command(*args: str) -> CommandResult:
    """`python -m offline_plan.golden ARGS`, in this process (see run_command)."""
    return run_command(golden.main, *args)
