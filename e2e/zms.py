"""ZMS's Deployments as the tests find them: the stock manifest of each layout (the one
the package's mock reads, athenz_ses/stock), created by server-side apply with the field
manager of the tool that installs it."""

from __future__ import annotations

from typing import Any

import yaml

from athenz_ses.testing import STOCK, STOCK_FILES
from e2e.cluster import Cluster

# Who applied the manifests of ZMS that the patch finds.
BASE_MANAGERS = {"distribution": "kubectl", "helm": "helm"}


def load_manifest(layout: str) -> dict[str, Any]:
    return yaml.safe_load((STOCK / STOCK_FILES[layout]).read_text())


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def apply_zms(cluster: Cluster, layout: str, namespace: str, name: str | None = None) -> dict[str, Any]:
    """ZMS's Deployment of LAYOUT in NAMESPACE, created by server-side apply with the
    field manager of the tool that installs that layout (kubectl, helm)."""
    manifest = load_manifest(layout)
    manifest["metadata"]["namespace"] = namespace
    if name:
        manifest["metadata"]["name"] = name
    path = deployment_path(namespace, manifest["metadata"]["name"])
    return cluster.apply(path, manifest, BASE_MANAGERS[layout])
