"""Fixtures: one API server for the session, the Pulumi engine, and ZMS Deployments as
another tool (kubectl, Helm) creates them by server-side apply."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from e2e import paths
from e2e.cluster import Cluster, running_cluster
from e2e.engine import Engine


def _version(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    with running_cluster(paths.etcd(), paths.kube_apiserver()) as running:
        yield running


@pytest.fixture(scope="session")
def engine(cluster: Cluster) -> Iterator[Engine]:
    work = Path(tempfile.mkdtemp(prefix="athenz-ses-e2e-pulumi."))
    try:
        yield Engine(
            pulumi_root=paths.pulumi_root(),
            provider_dir=paths.provider_bin(),
            work=work,
            kubeconfig=cluster.kubeconfig,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pytest_report_header() -> list[str]:
    """The versions under test, at the start of the run."""
    versions = paths.versions()
    lines = []
    for what, command in (
        ("pulumi", [str(paths.pulumi_root() / "bin" / "pulumi"), "version"]),
        ("kube-apiserver", [str(paths.kube_apiserver()), "--version"]),
        ("etcd", [str(paths.etcd()), "--version"]),
    ):
        try:
            lines.append(f"{what}: {_version(command)}")
        except (OSError, subprocess.CalledProcessError) as err:
            lines.append(f"{what}: unavailable ({err}); run e2e/build.sh")
    # The provider's binary has no version flag: build.sh stamped this one in.
    lines.append(f"pulumi-resource-kubernetes: {versions['PULUMI_KUBERNETES_VERSION']}")
    lines.append(f"e2e/versions.env: {versions}")
    return lines


@pytest.fixture
def namespaces(cluster: Cluster) -> Iterator[Callable[..., str]]:
    """Makes namespaces for one test and deletes them after it."""
    made: list[str] = []

    def make(name: str, labels: dict[str, str] | None = None) -> str:
        cluster.create_namespace(name, labels)
        made.append(name)
        return name

    yield make
    for name in made:
        cluster.request("DELETE", f"/api/v1/namespaces/{name}", check=False)
