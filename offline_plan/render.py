"""Write a Plan as reviewable files: this project's `cdk synth`.

    summary.md            every resource with its type, account and Region; warnings
    policies/*.json       each IAM or SES policy document, formatted
    kubernetes/*.yaml     each Kubernetes object or patch
    outputs.yaml          the stack outputs

Secret values appear as `[secret]`; binary data as its size and digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from offline_plan.engine import Plan, PlannedResource, Secret

SECRET_PLACEHOLDER = "[secret]"
POLICY_FIELDS = ("assumeRolePolicy", "policy")


def redact(value: Any) -> Any:
    if isinstance(value, Secret):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _binary_summary(data: str) -> str:
    raw = base64.b64decode(data)
    return f"<{len(raw)} bytes, sha256:{hashlib.sha256(raw).hexdigest()}>"


def kubernetes_object(resource: PlannedResource) -> dict:
    """The object as it would be applied, binary data shown by size and digest."""
    inputs = redact(resource.inputs)
    if isinstance(inputs.get("binaryData"), dict):
        inputs["binaryData"] = {k: _binary_summary(v) for k, v in inputs["binaryData"].items()}
    return inputs


def policy_documents(resource: PlannedResource) -> dict[str, Any]:
    """field name -> parsed policy document, for each policy field of an AWS resource."""
    found = {}
    for field in POLICY_FIELDS:
        value = resource.inputs.get(field)
        if isinstance(value, str) and value.strip().startswith("{"):
            found[field] = json.loads(value)
    return found


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str_presenter)


def _dump_yaml(data: Any) -> str:
    """Sorted keys: resources register concurrently, the files must not depend on it."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120)


def summary(plan: Plan) -> str:
    rows = ["| resource | type | account | Region | on destroy |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(plan.resources, key=lambda r: (r.type, r.name)):
        if r.custom:
            on_destroy = "retained" if r.retain_on_delete else "fields given up" if r.type.endswith("Patch") else "deleted"
            rows.append(f"| {r.name} | {r.type} | {r.location.account} | {r.location.region} | {on_destroy} |")
    lines = [f"# Offline plan of stack `{plan.stack}`", ""]
    if plan.outputs.get("sendPath"):
        lines += [f"Send path: {plan.outputs['sendPath']}.", ""]
    lines += [f"{sum(r.custom for r in plan.resources)} resources, "
              f"{sum(not r.custom for r in plan.resources)} components.", "", *rows]
    if plan.warnings:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in plan.warnings]]
    return "\n".join(lines) + "\n"


def write_plan(plan: Plan, out: Path) -> list[Path]:
    """Replace `out` with the rendered plan; returns the files written."""
    if out.exists():
        shutil.rmtree(out)
    files: dict[Path, str] = {out / "summary.md": summary(plan), out / "outputs.yaml": _dump_yaml(redact(plan.outputs))}
    for r in plan.resources:
        if r.type.startswith("kubernetes:"):
            kind = r.type.rsplit(":", 1)[-1]
            files[out / "kubernetes" / f"{kind}-{r.name}.yaml"] = _dump_yaml(kubernetes_object(r))
        for field, document in policy_documents(r).items():
            files[out / "policies" / f"{r.name}.{field}.json"] = json.dumps(document, indent=2) + "\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sorted(files)
