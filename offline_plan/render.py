"""Write a Plan as reviewable files: this project's `cdk synth`.

    summary.md            every resource with its type, account and Region; warnings
    policies/*.json       each IAM or SES policy document, formatted
    deployer-policy/      what the credentials that run `pulumi up` need: <account>.json,
                          and <role>.trust.json for each role a provider assumes
    kubernetes/*.yaml     each Kubernetes object or patch
    outputs.yaml          the stack outputs

Secret values appear as `[secret]`; binary data as its size and digest.

The plan is written into a folder the offline plan owns: it holds MARKER, which lists
the files of the last plan written there. Writing again replaces exactly those files and
never deletes anything else; a folder that holds other files and no marker, and the
project's own folder or one above it, are refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from offline_plan import send_graph
from offline_plan.deployer_policy import DeployerPolicies, deployer_policies
from offline_plan.engine import PROJECT_DIR, Plan, PlannedResource, Secret
from policy_pack.policy_reader import documents

SECRET_PLACEHOLDER = "[secret]"
MARKER = ".athenz-ses-plan"
"""In every folder a plan was written to: says so, and lists the files it wrote."""


class PlanOutputError(Exception):
    """The output folder is not one the offline plan may write into."""


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
    """field name -> parsed policy document, for each policy field of an AWS resource (a
    secret one is not written out)."""
    return dict(documents(resource.type, resource.inputs))


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str_presenter)


def _dump_yaml(data: Any) -> str:
    """Sorted keys: resources register concurrently, the files must not depend on it."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120)


# What `pulumi destroy` does to resources whose provider does not really delete them.
NOT_DELETED = {
    # terraform-provider-aws: framework.WithNoOpDelete, the account keeps the setting.
    "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes": (
        "kept (an account setting; delete is a no-op)"
    ),
}
PENDING_SUBSCRIPTION = "deleted (if still pending confirmation: with its topic)"


def adopted(plan: Plan) -> list[str]:
    """What `pulumi up` adopts (imports) instead of creating, one line each."""
    return [
        f"- `{r.name}` ({r.type}): imports `{r.import_id}`; `pulumi destroy` keeps it"
        for r in sorted(plan.resources, key=lambda r: r.name)
        if r.import_id
    ]


def on_destroy(r: PlannedResource) -> str:
    if r.retain_on_delete:
        return "retained"
    if r.type.endswith("Patch"):
        return "fields given up"
    if r.type == "aws:sns/topicSubscription:TopicSubscription" and r.inputs.get("protocol") == "email":
        return PENDING_SUBSCRIPTION
    return NOT_DELETED.get(r.type, "deleted")


DEPLOYER_DIR = "deployer-policy"


def deployer_files(policies: DeployerPolicies) -> dict[str, str]:
    """deployer-policy/<file> -> its JSON text."""
    files = {f"{DEPLOYER_DIR}/{p.account}.json": json.dumps(p.document, indent=2) + "\n" for p in policies.accounts}
    for t in policies.trusts:
        files[f"{DEPLOYER_DIR}/{t.role_name}.trust.json"] = json.dumps(t.document, indent=2) + "\n"
    return files


def deployer_section(policies: DeployerPolicies) -> list[str]:
    lines = [
        "## What the deploying credentials need",
        "",
        "Identity policies for the credentials that run `pulumi preview`, `up` and `destroy`, one per account:",
        "",
    ]
    lines += [
        f"- `{DEPLOYER_DIR}/{p.account}.json`: account {p.account}, {len(p.actions)} actions" for p in policies.accounts
    ]
    for t in policies.trusts:
        lines.append(
            f"- `{DEPLOYER_DIR}/{t.role_name}.trust.json`: the trust policy of `{t.role_arn}` (its principal is the "
            "deploying account's root as a placeholder: narrow it to the role or user that runs `pulumi up`)"
        )
    return lines


# AWS services whose resources have no Region (IAM and Route 53 are global).
GLOBAL_SERVICES = ("aws:iam/", "aws:route53/")


def region_of(r: PlannedResource) -> str:
    return "-" if r.type.startswith(GLOBAL_SERVICES) or r.type.startswith("kubernetes:") else r.location.region


def created(plan: Plan) -> list[PlannedResource]:
    """The resources `pulumi up` creates (or adopts): not providers or components."""
    return [r for r in plan.resources if r.custom and not r.type.startswith("pulumi:providers:")]


# What a real preview needs for each look-up: what must exist (the credentials' permissions
# are in deployer-policy/, from offline_plan/deployer_policy.py).
LOOKUPS = {
    "aws:index/getCallerIdentity:getCallerIdentity": "the default AWS credentials, of the cluster account",
    "aws:index/getPartition:getPartition": "nothing (the provider's own data)",
    "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": "the cluster's IAM OIDC provider, in this account",
    "aws:eks/getCluster:getCluster": "the EKS cluster, in this account and Region",
    "aws:route53/getZone:getZone": "the hosted zone, holding the sender domain",
    "kubernetes:apps/v1:Deployment": "ZMS's Deployment (the Kubernetes credentials may get it)",
    "kubernetes:core/v1:ServiceAccount": "the ServiceAccount ZMS runs as (the Kubernetes credentials may get it)",
}


def lookups(plan: Plan) -> list[str]:
    """Each look-up the program makes, once, with what a real preview needs for it."""
    lines: dict[str, None] = {}
    for token, args, where in plan.calls:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(args.items()) if isinstance(v, str))
        place = f"account {where.account}, {where.region}" if where.account != "kubernetes" else "the cluster"
        need = LOOKUPS.get(token, "see deployer-policy/")
        lines[f"- `{token.split(':')[1]}`{f' ({shown})' if shown else ''} in {place}: needs {need}"] = None
    for typ, name in plan.reads:
        lines[f"- `{typ.rsplit(':', 1)[-1]}` {name} in the cluster: needs {LOOKUPS[typ]}"] = None
    return list(lines)


def providers(plan: Plan) -> list[str]:
    return [
        f"- `{r.name}`: account {r.location.account}, {r.location.region}"
        for r in sorted(plan.resources, key=lambda r: r.name)
        if r.type == "pulumi:providers:aws"
    ]


def dns_records(plan: Plan) -> list[str]:
    records = plan.outputs.get("senderDnsRecords") or []
    if not records:
        return []
    return [
        "| name | type | value |",
        "| --- | --- | --- |",
        *(f"| {r['name']} | {r['type']} | {r['value']} |" for r in records),
    ]


def summary(plan: Plan, notes: Sequence[str] = ()) -> str:
    rows = ["| resource | type | account | Region | on destroy |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(created(plan), key=lambda r: (r.type, r.name)):
        rows.append(f"| {r.name} | {r.type} | {r.location.account} | {region_of(r)} | {on_destroy(r)} |")
    lines = [
        f"# Offline plan of stack `{plan.stack}`",
        "",
        "```mermaid",
        *send_graph.mermaid(send_graph.build(plan)),
        "```",
        "",
    ]
    if plan.outputs.get("sendPath"):
        lines += [f"Send path: {plan.outputs['sendPath']}.", ""]
    lines += [
        f"{len(created(plan))} resources, {sum(not r.custom for r in plan.resources)} components.",
        "",
        *rows,
    ]
    if providers(plan):
        lines += ["", "AWS providers of other accounts or Regions (not resources):", "", *providers(plan)]
    if adopted(plan):
        lines += ["", "## Adopted, not created", "", *adopted(plan)]
    lines += ["", "## Look-ups a real preview makes", "", *lookups(plan)]
    lines += ["", *deployer_section(deployer_policies(plan))]
    substituted = [*notes, *plan.substitutions]
    lines += ["", "## What the offline plan substituted", "", *[f"- {n}" for n in substituted]]
    if plan.warnings:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in plan.warnings]]
    if plan.outputs.get("nextSteps"):
        lines += ["", NEXT_STEPS, "", *str(plan.outputs["nextSteps"]).splitlines()]
    if dns_records(plan):
        lines += ["", DNS_RECORDS, "", *dns_records(plan)]
    return "\n".join(lines) + "\n"


NEXT_STEPS = "## Next steps after `pulumi up`"
DNS_RECORDS = "## DNS records SES needs (output senderDnsRecords)"


def _links(out: Path) -> list[Path]:
    """Symbolic links under `out` (a folder the plan owns): writing through one could
    land anywhere."""
    return [p for p in out.rglob("*") if p.is_symlink()]


def owned_files(out: Path, project_dir: Path) -> list[Path]:
    """The files of the plan last written into `out` (none if `out` is new or empty).

    Raises PlanOutputError for a folder the offline plan does not own."""
    shown = out
    if out.is_symlink():
        raise PlanOutputError(f"{shown} is a symbolic link: the plan writes only into a plain folder")
    out, project_dir = out.resolve(), project_dir.resolve()
    if out == project_dir or out in project_dir.parents:
        raise PlanOutputError(
            f"{shown} is the project's folder or above it: choose a folder of its own, such as build/plan/<stack>"
        )
    if out.exists() and not out.is_dir():
        raise PlanOutputError(f"{shown} is a file, not a folder")
    if not out.exists() or not any(out.iterdir()):
        return []
    marker = out / MARKER
    if not marker.is_file():
        raise PlanOutputError(
            f"{shown} holds files the offline plan did not write (it has no {MARKER}); "
            "it never deletes what it did not write: choose a new or empty folder"
        )
    if links := _links(out):
        raise PlanOutputError(f"{shown} holds a symbolic link ({links[0]}): the plan writes only into a plain folder")
    listed = [out / line for line in marker.read_text().splitlines() if line and not line.startswith("#")]
    # Only plain files inside `out`: a hand-edited marker cannot point anywhere else.
    return [path for path in listed if path.resolve().parent.is_relative_to(out) and path.is_file()]


def remove_plan(out: Path, project_dir: Path) -> None:
    """Remove the files of the plan in `out`, its marker, and the folders that leaves
    empty among those that held them (never a folder the plan did not put a file in)."""
    files = owned_files(out, project_dir)
    for path in files:
        path.unlink(missing_ok=True)
    (out / MARKER).unlink(missing_ok=True)
    for folder in sorted({p.parent for p in files} - {out}, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()


def write_plan(plan: Plan, out: Path, notes: Sequence[str] = (), project_dir: Path = PROJECT_DIR) -> list[Path]:
    """Write the rendered plan into `out`, replacing only the files of the plan written
    there before; returns the files written. Raises PlanOutputError (nothing written)."""
    if out.exists():
        remove_plan(out, project_dir)
    else:
        owned_files(out, project_dir)  # refuses the project's folder and symbolic links
    files: dict[Path, str] = {
        out / "summary.md": summary(plan, notes),
        out / "outputs.yaml": _dump_yaml(redact(plan.outputs)),
    }
    for r in plan.resources:
        if r.type.startswith("kubernetes:"):
            kind = r.type.rsplit(":", 1)[-1]
            files[out / "kubernetes" / f"{kind}-{r.name}.yaml"] = _dump_yaml(kubernetes_object(r))
        for field, document in policy_documents(r).items():
            files[out / "policies" / f"{r.name}.{field}.json"] = json.dumps(document, indent=2) + "\n"
    files.update({out / name: text for name, text in deployer_files(deployer_policies(plan)).items()})
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    listing = "\n".join(p.relative_to(out).as_posix() for p in sorted(files))
    (out / MARKER).write_text(f"# written by python -m offline_plan; the files it may replace:\n{listing}\n")
    return sorted(files)
