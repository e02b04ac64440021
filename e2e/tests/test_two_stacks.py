"""Two stacks side by side (name prefixes athenz-ses-a and athenz-ses-b), through the
real engine and API server: what ZmsWiring promises about them.

- Patching two ZMS Deployments in one namespace, their objects and field managers never
  meet, and destroying one leaves the other's objects and fields alone.
- Patching the same Deployment with other values, the second stack fails with the API
  server's field-manager conflict (no stack takes over another's fields), and neither
  its failure nor its destroy touches the first stack's fields.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from e2e import engine as eng
from e2e.cluster import Cluster
from e2e.engine import Engine
from e2e.fields import comparable, managers
from e2e.programs import Wiring, plugin_jar
from e2e.zms import BASE_MANAGERS, apply_zms, deployment_path

A, B = "athenz-ses-a", "athenz-ses-b"


@pytest.fixture
def jar() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="athenz-ses-e2e-jar."))
    path = plugin_jar(folder)
    yield path
    path.unlink()
    folder.rmdir()


def objects(cluster: Cluster, namespace: str, prefix: str) -> set[str]:
    """The ServiceAccounts, Secrets and ConfigMaps labelled with the stack's prefix."""
    found = set()
    for kind in ("serviceaccounts", "secrets", "configmaps"):
        listed = cluster.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/{kind}",
            params={"labelSelector": f"app.kubernetes.io/instance={prefix}"},
        ).body
        found |= {f"{kind}/{item['metadata']['name']}" for item in listed["items"]}
    return found


def test_two_stacks_on_two_deployments_never_meet(cluster: Cluster, engine: Engine, namespaces, jar: Path):
    namespace = namespaces("zms-two-stacks")
    apply_zms(cluster, "distribution", namespace)
    apply_zms(cluster, "helm", namespace)
    a = Wiring(layout="distribution", namespace=namespace, name_prefix=A, mode="smtp", jar=jar)
    b = Wiring(layout="helm", namespace=namespace, name_prefix=B, mode="smtp", jar=jar, sender="zms@example.com")
    path_a = deployment_path(namespace, a.args().deployment)
    path_b = deployment_path(namespace, b.args().deployment)
    before_a, before_b = cluster.get(path_a), cluster.get(path_b)
    stack_a = engine.stack("athenz-ses", "a", a.program())
    stack_b = engine.stack("athenz-ses", "b", b.program())
    try:
        eng.up(stack_a)
        eng.up(stack_b)
        objects_a, objects_b = objects(cluster, namespace, A), objects(cluster, namespace, B)
        assert objects_a and objects_b
        assert len(objects_a) == len(objects_b) == 2  # a Secret and a ConfigMap each
        assert not objects_a & objects_b
        assert set(managers(cluster.get(path_a))) == {BASE_MANAGERS["distribution"], A}
        assert set(managers(cluster.get(path_b))) == {BASE_MANAGERS["helm"], B}

        after_b = cluster.get(path_b)
        eng.destroy(stack_a)
        assert comparable(cluster.get(path_a)) == comparable(before_a)
        assert objects(cluster, namespace, A) == set()
        assert objects(cluster, namespace, B) == objects_b
        assert comparable(cluster.get(path_b)) == comparable(after_b), "destroying a changed b's Deployment"

        eng.destroy(stack_b)
        assert comparable(cluster.get(path_b)) == comparable(before_b)
        assert objects(cluster, namespace, B) == set()
    finally:
        for stack in (stack_a, stack_b):
            stack.destroy()
            stack.workspace.remove_stack(stack.name, force=True)


def test_second_stack_on_the_same_deployment_with_other_values_fails_with_a_conflict(
    cluster: Cluster, engine: Engine, namespaces, jar: Path
):
    namespace = namespaces("zms-conflict")
    apply_zms(cluster, "distribution", namespace)
    a = Wiring(layout="distribution", namespace=namespace, name_prefix=A, mode="smtp", jar=jar)
    b = Wiring(layout="distribution", namespace=namespace, name_prefix=B, mode="smtp", jar=jar, sender="b@example.com")
    path = deployment_path(namespace, a.args().deployment)
    before = cluster.get(path)
    stack_a = engine.stack("athenz-ses", "a", a.program())
    stack_b = engine.stack("athenz-ses", "b", b.program())
    try:
        eng.up(stack_a)
        with_a = cluster.get(path)
        with pytest.raises(auto.CommandError) as failed:
            eng.up(stack_b)
        message = str(failed.value)
        assert "conflict" in message.lower(), message
        assert A in message, "the conflict names the stack that owns the fields"
        assert comparable(cluster.get(path)) == comparable(with_a), "the failed stack changed ZMS"
        assert B not in managers(cluster.get(path))

        eng.destroy(stack_b)  # what b did create (its Secret and ConfigMap) goes; a's patch stays
        assert objects(cluster, namespace, B) == set()
        assert comparable(cluster.get(path)) == comparable(with_a), "destroying b changed a's fields"

        eng.destroy(stack_a)
        assert comparable(cluster.get(path)) == comparable(before)
        assert set(managers(cluster.get(path))) == {BASE_MANAGERS["distribution"]}
    finally:
        for stack in (stack_a, stack_b):
            stack.destroy()
            stack.workspace.remove_stack(stack.name, force=True)
