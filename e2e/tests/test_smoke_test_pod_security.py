"""The smoke tests' Jobs (ZMS's own notifier, made by ZmsWiring before its patch, and a
delegated sender's SmokeTest) in a namespace that enforces the `restricted` Pod Security
Standard, through the real engine and API server.

PodSecurity admission enforces on Pods only. On a workload such as a Job it checks the
pod template only in `warn` and `audit` mode: the API server stores a violating Job and
answers with a warning. So, with no controller to create the Job's pod:
- the Job is created by `pulumi up` (the namespace enforces and warns `restricted`);
- creating the Job draws no PodSecurity warning (the same Job, dry-run, from the stack's
  state: the API server's answer carries the warnings);
- a Pod of the Job's template, created as the Job controller would, is admitted under
  `enforce: restricted`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from e2e import engine as eng
from e2e.cluster import Cluster
from e2e.engine import Engine
from e2e.programs import Smoke, plugin_jar
from e2e.zms import apply_zms

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
}
MODES = ("zms-irsa", "zms-smtp", "delegated")


@dataclass
class Admission:
    up: eng.Run
    job: dict[str, Any]
    job_warnings: list[str] = field(default_factory=list)
    pod_status: int = 0
    pod_body: Any = None
    pod_warnings: list[str] = field(default_factory=list)
    spec_sent: dict[str, Any] = field(default_factory=dict)
    spec_sent_on_second_up: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module", params=MODES)
def admission(request, cluster: Cluster, engine: Engine, tmp_path_factory):
    mode = request.param
    namespace = f"smoke-restricted-{mode}"
    cluster.create_namespace(namespace, RESTRICTED)
    smoke = Smoke(namespace=namespace, mode=mode, jar=plugin_jar(tmp_path_factory.mktemp("jar")))
    if mode == "delegated":
        # The delegated workload's ServiceAccount is the workload's own, not the stack's.
        cluster.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", {"metadata": {"name": Smoke.SENDER_ACCOUNT}}
        )
    else:
        # ZMS's Deployment, whose pod template the Job copies (a Deployment only warns).
        apply_zms(cluster, smoke.wiring().layout, namespace)
    stack = engine.stack("athenz-ses-smoke", f"e2e-smoke-{mode}", smoke.program())
    try:
        run = eng.up(stack)
        (job_state,) = eng.resource_of_type(stack, "kubernetes:batch/v1:Job")
        name = job_state["outputs"]["metadata"]["name"]
        job = cluster.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}")
        result = Admission(up=run, job=job)

        # The same Job as the provider sent it, created again but dry-run: the API
        # server's warnings for it are what PodSecurity says of its pod template.
        sent = dict(job_state["inputs"])
        sent["metadata"] = {**sent["metadata"], "name": f"{name}-dry-run"}
        response = cluster.request(
            "POST", f"/apis/batch/v1/namespaces/{namespace}/jobs", sent, params={"dryRun": "All"}
        )
        result.job_warnings = response.warnings

        # A Pod of the Job's template, as the Job controller would create it.
        template = job["spec"]["template"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {**template.get("metadata", {}), "generateName": f"{name}-", "namespace": namespace},
            "spec": template["spec"],
        }
        response = cluster.request("POST", f"/api/v1/namespaces/{namespace}/pods", pod, check=False)
        result.pod_status, result.pod_body, result.pod_warnings = response.status, response.body, response.warnings
        # A second `up` finds ZMS patched (its pod has the patch's env, volumes and
        # ServiceAccount now): the Job composed from it must be the same Job. (Here it is
        # replaced anyway: no controller completes it, and `replaceUnready` replaces an
        # unfinished Job; so the spec the provider was sent is what is compared.)
        result.spec_sent = job_state["inputs"]["spec"]
        eng.up(stack)
        (second,) = eng.resource_of_type(stack, "kubernetes:batch/v1:Job")
        result.spec_sent_on_second_up = second["inputs"]["spec"]
        print(f"\n[{mode}] pulumi up warnings: {run.diagnostics('warning')}")
        print(f"[{mode}] Job dry-run warnings: {result.job_warnings}")
        print(f"[{mode}] Pod of the Job's template: HTTP {result.pod_status} {result.pod_body.get('message', '')}")
        yield result
    finally:
        try:
            eng.destroy(stack)
        finally:
            stack.workspace.remove_stack(stack.name, force=True)
            cluster.request("DELETE", f"/api/v1/namespaces/{namespace}", check=False)


def test_smoke_job_is_created_in_a_restricted_namespace(admission: Admission):
    assert admission.up.changes.get("create", 0) > 0
    containers = admission.job["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["send-test-email"]


def test_smoke_job_draws_no_pod_security_warning(admission: Admission):
    assert not [w for w in admission.job_warnings if "PodSecurity" in w], admission.job_warnings


def test_pod_of_the_smoke_job_is_admitted_under_enforce_restricted(admission: Admission):
    assert admission.pod_status == 201, admission.pod_body
    assert not [w for w in admission.pod_warnings if "PodSecurity" in w], admission.pod_warnings


def test_a_second_up_composes_the_same_job(admission: Admission):
    """ZMS's live pod then has what the patch added: composed again, the Job's spec is the
    same, so a finished Job is not replaced (a replacement would send again)."""
    assert admission.spec_sent_on_second_up == admission.spec_sent
