"""The smoke Job's own command line, not just the class: `sh -c <the Job's script>
ZmsNotificationSmoke <recipient>` as the plan's Job carries it, with the Job's env (ZMS's
stock env from the look-up, then the patch's, the stack's Secret references resolved in
the plan, ZMS's own Secret references given stand-ins),
against Athenz's notifier and moto's SES v2.

Only what a laptop cannot have is swapped, each named here: the Job's mount path of the
sender class (/athenz-ses-smoke) becomes the repository's folder of it, CLASSPATH the
Maven classpath of Athenz (the image's /opt/athenz/zms/lib/jars/*), CONF_PATH a
configuration folder with the stock files, USER_CLASSPATH empty (no plugin jar)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import SENDER_DIR, SENT, Run, builtin_stacks, zms_setup
from test_builtin_notifier import Cluster, assert_sent

from athenz_ses.smoke_test import SENDER_DIR as JOB_SENDER_DIR
from offline_plan.engine import reveal, run_program
from offline_plan.stackfile import stack_config_and_secrets

STACKS = builtin_stacks()


def job_of(stack: str):
    config, _ = stack_config_and_secrets(stack)
    plan = run_program(stack, {**config, "athenz-ses:smokeTest": "true"})
    assert plan.error is None, plan.error
    (job,) = [r for r in plan.of_type("kubernetes:batch/v1:Job") if r.parent.endswith("::athenz-ses-zms-smoke-test")]
    return plan, reveal(job.inputs)["spec"]["template"]["spec"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_jobs_command_sends_through_athenz_builtin_notifier(
    stack, moto, tmp_path: Path, java: str, classpath: str, zms_conf: Path
):
    plan, pod = job_of(stack)
    (container,) = pod["containers"]
    setup = zms_setup(stack, plan)
    command = container["command"]
    assert command[:2] == ["sh", "-c"]
    script = command[2].replace(JOB_SENDER_DIR, str(SENDER_DIR))
    # The Job's env, with the stack's Secret's values as the kubelet resolves them; ZMS's own
    # Secret references (a Helm ZMS's database password) get a stand-in.
    job_env = {
        var["name"]: var["value"] if "value" in var else setup.env.get(var["name"], "stand-in")
        for var in container["env"]
    }
    assert {k: v for k, v in job_env.items() if k in setup.env} == setup.env  # the patch's env, all of it
    moto.seed(setup.identities)
    with Cluster(setup, moto, tmp_path) as cluster:
        env = {
            **job_env,
            **cluster.env(),  # what EKS or the Secret adds, and moto's endpoints
            "CLASSPATH": classpath,
            "USER_CLASSPATH": "",
            "CONF_PATH": str(zms_conf),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "JAVA_HOME": str(Path(java).resolve().parent.parent),
        }
        env["PATH"] = f"{Path(java).parent}:{env['PATH']}"
        done = subprocess.run(
            [*command[:2], script, *command[3:]], env=env, capture_output=True, text=True, timeout=180
        )
    run = Run(done.returncode, done.stdout, done.stderr)
    assert run.code == SENT, run.stderr[-3000:]
    assert_sent(setup, moto, run, cluster, command[-1])
