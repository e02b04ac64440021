"""The look-up before the patch (athenz_ses.live_zms), through the real engine and API
server: the stack reads ZMS's live Deployment and the ServiceAccount it runs as, and
stops `pulumi up` when ZMS already reaches AWS with credentials of its own, which the
stack's ServiceAccount or keys would replace."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from e2e import engine as eng
from e2e.cluster import Cluster
from e2e.engine import Engine
from e2e.fields import comparable
from e2e.programs import Wiring
from e2e.zms import apply_zms, deployment_path, load_manifest


def test_a_stock_zms_passes_the_look_up_and_is_patched(cluster: Cluster, engine: Engine, namespaces):
    namespace = namespaces("guard-stock")
    apply_zms(cluster, "distribution", namespace)
    wiring = Wiring(layout="distribution", namespace=namespace, name_prefix="athenz-ses-guard", mode="irsa", guard=True)
    stack = engine.stack("athenz-ses-guard", "e2e-guard-stock", wiring.program())
    try:
        run = eng.up(stack)
        assert run.changes.get("create", 0) > 0
        # The look-ups are in the state as read (external) resources: ZMS's Deployment and
        # the ServiceAccount it runs as (`default`), never owned.
        read = sorted(
            (r["type"], r["id"])
            for r in eng.resources(stack)
            if r.get("external") and r["type"].startswith("kubernetes:")
        )
        assert read == [
            ("kubernetes:apps/v1:Deployment", f"{namespace}/athenz-zms-server"),
            ("kubernetes:core/v1:ServiceAccount", f"{namespace}/default"),
        ]
    finally:
        eng.destroy(stack)
        stack.workspace.remove_stack(stack.name, force=True)


@pytest.mark.parametrize("case", ["irsa-service-account", "key-env"])
def test_a_zms_that_already_reaches_aws_stops_up_and_stays_as_it_was(
    cluster: Cluster, engine: Engine, namespaces, case: str
):
    namespace = namespaces(f"guard-{case}")
    manifest = load_manifest("distribution")
    manifest["metadata"]["namespace"] = namespace
    pod = manifest["spec"]["template"]["spec"]
    if case == "irsa-service-account":
        cluster.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts",
            {"metadata": {"name": "zms", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/zms"}}},
        )
        pod["serviceAccountName"] = "zms"
        expected = "ZMS runs as ServiceAccount zms, which has IAM role arn:aws:iam::1:role/zms (IRSA)"
    else:
        pod["containers"][0]["env"].append({"name": "AWS_ACCESS_KEY_ID", "value": "AKIAEXAMPLE"})
        expected = "ZMS's container has AWS_ACCESS_KEY_ID in its env"
    path = deployment_path(namespace, manifest["metadata"]["name"])
    before = comparable(cluster.apply(path, manifest, "kubectl"))
    wiring = Wiring(layout="distribution", namespace=namespace, name_prefix="athenz-ses-guard", mode="irsa", guard=True)
    stack = engine.stack("athenz-ses-guard", f"e2e-guard-{case}", wiring.program())
    try:
        with pytest.raises(auto.CommandError) as failed:
            eng.up(stack)
        assert expected in str(failed.value) and "set zms_role_arn instead" in str(failed.value)
        assert comparable(cluster.get(path)) == before  # not patched
    finally:
        eng.destroy(stack)
        stack.workspace.remove_stack(stack.name, force=True)
