"""A throwaway Kubernetes API server for the end-to-end tests: etcd and kube-apiserver on
127.0.0.1 (free ports), in a temporary folder this module creates and removes, and a
small HTTP client for the tests' own requests.

No controller runs (no kube-controller-manager, no scheduler, no kubelet): objects are
stored, validated and admitted (PodSecurity, ServiceAccount, ...), but no Deployment
rolls out, no Job runs and no namespace gets its `default` ServiceAccount by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    body: Any
    warnings: list[str] = field(default_factory=list)


class ApiError(Exception):
    def __init__(self, response: Response):
        super().__init__(f"HTTP {response.status}: {json.dumps(response.body)[:2000]}")
        self.response = response


@dataclass
class Cluster:
    server: str
    token: str
    ca_file: Path
    kubeconfig: Path
    version: dict[str, Any] = field(default_factory=dict)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        params: dict[str, str] | None = None,
        check: bool = True,
    ) -> Response:
        url = self.server + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self._context(), timeout=30) as res:
                response = Response(res.status, _json(res.read()), res.headers.get_all("Warning") or [])
        except urllib.error.HTTPError as err:
            response = Response(err.code, _json(err.read()), err.headers.get_all("Warning") or [])
        if check and response.status >= 400:
            raise ApiError(response)
        return response

    def get(self, path: str) -> Any:
        return self.request("GET", path).body

    def exists(self, path: str) -> bool:
        status = self.request("GET", path, check=False).status
        if status not in (200, 404):
            raise AssertionError(f"GET {path}: HTTP {status}")
        return status == 200

    def apply(self, path: str, obj: dict[str, Any], field_manager: str) -> Any:
        """Server-side apply, as `kubectl apply --server-side` (manager "kubectl") or Helm
        4 (manager "helm") send it. PATH is the object's own URL."""
        return self.request(
            "PATCH",
            path,
            obj,
            content_type="application/apply-patch+yaml",  # JSON is YAML
            params={"fieldManager": field_manager},
        ).body

    def create_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        self.request("POST", "/api/v1/namespaces", {"metadata": {"name": name, "labels": labels or {}}})
        # What the controller manager would create: the ServiceAccount admission plugin
        # refuses a Pod whose ServiceAccount (by default `default`) does not exist.
        self.request("POST", f"/api/v1/namespaces/{name}/serviceaccounts", {"metadata": {"name": "default"}})


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def _wait(check, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_cluster(etcd: Path, kube_apiserver: Path) -> Iterator[Cluster]:
    """Starts etcd and kube-apiserver, yields the cluster once /readyz answers, then stops
    both and removes the temporary folder it made (and nothing else)."""
    work = Path(tempfile.mkdtemp(prefix="athenz-ses-e2e-cluster."))
    processes: list[subprocess.Popen] = []
    try:
        client_port, peer_port, secure_port = free_port(), free_port(), free_port()
        etcd_log = work / "etcd.log"
        processes.append(
            subprocess.Popen(
                [
                    str(etcd),
                    "--name=e2e",
                    f"--data-dir={work / 'etcd'}",
                    f"--listen-client-urls=http://127.0.0.1:{client_port}",
                    f"--advertise-client-urls=http://127.0.0.1:{client_port}",
                    f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-cluster=e2e=http://127.0.0.1:{peer_port}",
                    "--unsafe-no-fsync",  # a throwaway store: no durability needed
                ],
                stdout=etcd_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
        )

        def etcd_healthy() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{client_port}/health", timeout=2) as res:
                return json.loads(res.read()).get("health") == "true"

        _wait(etcd_healthy, "etcd", processes[0], etcd_log)

        token = secrets.token_hex(24)
        (work / "tokens.csv").write_text(f'{token},e2e-admin,e2e-admin,"system:masters"\n')
        key = work / "service-account.key"
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
            check=True,
            capture_output=True,
        )
        cert_dir = work / "certs"
        apiserver_log = work / "kube-apiserver.log"
        server = f"https://127.0.0.1:{secure_port}"
        processes.append(
            subprocess.Popen(
                [
                    str(kube_apiserver),
                    f"--etcd-servers=http://127.0.0.1:{client_port}",
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    # No `kubernetes` Service endpoints: they may not be a loopback address.
                    "--endpoint-reconciler-type=none",
                    f"--secure-port={secure_port}",
                    f"--cert-dir={cert_dir}",
                    f"--token-auth-file={work / 'tokens.csv'}",
                    "--authorization-mode=RBAC",
                    f"--service-account-issuer={server}",
                    f"--service-account-key-file={key}",
                    f"--service-account-signing-key-file={key}",
                    "--service-cluster-ip-range=10.0.0.0/24",
                ],
                stdout=apiserver_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        # The API server writes its self-signed serving certificate (with its CA) there.
        ca_file = cert_dir / "apiserver.crt"
        kubeconfig = work / "kubeconfig"
        cluster = Cluster(server=server, token=token, ca_file=ca_file, kubeconfig=kubeconfig)

        def ready() -> bool:
            return ca_file.exists() and cluster.request("GET", "/readyz", check=False).status == 200

        _wait(ready, "kube-apiserver", processes[1], apiserver_log)
        cluster.version = cluster.get("/version")
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "e2e",
                            "cluster": {"server": server, "certificate-authority": str(ca_file)},
                        }
                    ],
                    "users": [{"name": "e2e-admin", "user": {"token": token}}],
                    "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e-admin"}}],
                    "current-context": "e2e",
                }
            )
        )
        yield cluster
    finally:
        for process in reversed(processes):
            _stop(process)
        if os.environ.get("ATHENZ_SES_E2E_KEEP_LOGS"):
            kept = Path(os.environ["ATHENZ_SES_E2E_KEEP_LOGS"])
            kept.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, kept / log.name)
        shutil.rmtree(work, ignore_errors=True)
