"""Who can send as which SES identity, read from a plan and drawn as a Mermaid flowchart.

Everything comes from what the plan would create, never from the config: the ZMS
patch (which ServiceAccount ZMS runs as, which Secret it reads), the ServiceAccounts,
each role's trust policy (which ServiceAccounts may assume it), each role's and user's
policy documents and each identity policy (which identities they may send as, with
which actions), and where each of them lives (account, Region). GitHub renders the
diagram where summary.md is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from offline_plan.engine import Plan, PlannedResource, reveal
from policy_pack.policy_reader import as_list, documents, send_actions, statements

SUBJECT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class Node:
    key: str
    """Unique: 'zms', 'sa:<ns>/<name>', 'role:<arn>', 'user:<arn>', 'identity:<arn>'."""
    label: str
    group: str
    """The subgraph: 'Kubernetes cluster', or 'account <id>'."""


@dataclass
class SendGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    """(from key, label, to key)."""

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.key, node)
        return node.key

    def edge(self, source: str, label: str, target: str) -> None:
        if (source, label, target) not in self.edges:
            self.edges.append((source, label, target))


def _allows(resource: PlannedResource) -> list[Mapping[str, Any]]:
    """The Allow statements of the resource's policy documents (its trust policy, for a role)."""
    return [
        statement
        for _, document in documents(resource.type, resource.inputs, reveal)
        for statement in statements(document)
        if statement.get("Effect") == "Allow"
    ]


def build(plan: Plan) -> SendGraph:
    graph = SendGraph()
    cluster = "Kubernetes cluster"
    identities: dict[str, str] = {}  # ARN -> node key
    for r in plan.of_type("aws:sesv2/emailIdentity:EmailIdentity"):
        arn = reveal(r.outputs.get("arn"))
        label = f"SES identity {reveal(r.inputs['emailIdentity'])} ({r.location.region})"
        identities[arn] = graph.add(Node(f"identity:{arn}", label, f"account {r.location.account}"))

    principals: dict[str, str] = {}  # IAM name or ARN -> node key
    for r in [*plan.of_type("aws:iam/role:Role"), *plan.of_type("aws:iam/user:User")]:
        kind = "role" if r.type.endswith("Role") else "user"
        arn = reveal(r.outputs.get("arn"))
        key = graph.add(Node(f"{kind}:{arn}", f"IAM {kind} {r.outputs.get('name')}", f"account {r.location.account}"))
        principals[str(r.outputs.get("name"))] = principals[arn] = key
        if kind == "role":
            _trust(graph, r, key, cluster)

    for r in [*plan.of_type("aws:iam/rolePolicy:RolePolicy"), *plan.of_type("aws:iam/userPolicy:UserPolicy")]:
        owner = principals.get(str(reveal(r.inputs.get("role") or r.inputs.get("user"))))
        for statement in _allows(r):
            for arn in as_list(statement.get("Resource")):
                if owner and arn in identities and send_actions(statement):
                    graph.edge(owner, "may send as: " + ", ".join(send_actions(statement)), identities[arn])

    for r in plan.of_type("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"):
        for statement in _allows(r):
            principal_block = statement.get("Principal")
            aws_principals = principal_block.get("AWS") if isinstance(principal_block, Mapping) else None
            for principal in as_list(aws_principals):
                for arn in as_list(statement.get("Resource")):
                    if principal in principals and arn in identities and send_actions(statement):
                        graph.edge(principals[principal], "sending authorization (identity policy)", identities[arn])

    for association in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation"):
        _pod_identity(graph, plan, association, principals, cluster)

    for patch in plan.of_type("kubernetes:apps/v1:DeploymentPatch"):
        _zms(graph, plan, patch, principals, cluster)
    _jobs(graph, plan, principals, cluster)
    return graph


def _trust(graph: SendGraph, role: PlannedResource, role_key: str, cluster: str) -> None:
    for statement in _allows(role):
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action")):
            continue
        for variable, values in (statement.get("Condition") or {}).get("StringEquals", {}).items():
            if not variable.endswith(":sub"):
                continue
            for subject in as_list(values):
                namespace, _, name = subject.removeprefix(SUBJECT_PREFIX).partition(":")
                if subject.startswith(SUBJECT_PREFIX) and namespace and name:
                    account = graph.add(Node(f"sa:{namespace}/{name}", f"ServiceAccount {namespace}/{name}", cluster))
                    graph.edge(account, "assumes (IRSA)", role_key)


def _trusted_tags(role: PlannedResource | None) -> list[Mapping[str, Any]]:
    """The Condition blocks of a role's Allow statements that EKS Pod Identity matches."""
    if role is None:
        return []
    return [
        (statement.get("Condition") or {})
        for statement in _allows(role)
        if "sts:AssumeRole" in as_list(statement.get("Action"))
    ]


def _pod_identity(
    graph: SendGraph, plan: Plan, association: PlannedResource, principals: dict[str, str], cluster: str
) -> None:
    """An association's ServiceAccount gets its role when the role's trust names that
    namespace and ServiceAccount; across accounts the role chains into the target role
    when the target's trust admits it (aws:PrincipalARN)."""
    inputs = reveal(association.inputs)
    namespace, name = str(inputs.get("namespace")), str(inputs.get("serviceAccount"))
    roles = {str(reveal(r.outputs.get("arn"))): r for r in plan.of_type("aws:iam/role:Role")}
    role_arn, target_arn = str(inputs.get("roleArn")), inputs.get("targetRoleArn")
    for condition in _trusted_tags(roles.get(role_arn)):
        tags = condition.get("StringEquals", {})
        trusted = (
            as_list(tags.get("aws:RequestTag/kubernetes-namespace")),
            as_list(tags.get("aws:RequestTag/kubernetes-service-account")),
        )
        if trusted != ([namespace], [name]) or role_arn not in principals:
            continue
        account = graph.add(Node(f"sa:{namespace}/{name}", f"ServiceAccount {namespace}/{name}", cluster))
        graph.edge(account, f"assumes (EKS Pod Identity, cluster {inputs.get('clusterName')})", principals[role_arn])
        if target_arn and str(target_arn) in principals:
            for target_condition in _trusted_tags(roles.get(str(target_arn))):
                if role_arn in as_list(target_condition.get("ArnEquals", {}).get("aws:PrincipalARN")):
                    graph.edge(principals[role_arn], "chains into (target role)", principals[str(target_arn)])


def _zms(graph: SendGraph, plan: Plan, patch: PlannedResource, principals: dict[str, str], cluster: str) -> None:
    meta = reveal(patch.inputs.get("metadata") or {})
    zms = graph.add(Node("zms", f"ZMS (Deployment {meta.get('namespace')}/{meta.get('name')})", cluster))
    pod = reveal(patch.inputs.get("spec") or {}).get("template", {}).get("spec", {})
    _pod_credentials(graph, plan, zms, meta.get("namespace", ""), pod, principals)


def _jobs(graph: SendGraph, plan: Plan, principals: dict[str, str], cluster: str) -> None:
    """The smoke-test Jobs send too: with ZMS's credentials, or as a delegated sender."""
    for job in plan.of_type("kubernetes:batch/v1:Job"):
        meta = reveal(job.inputs.get("metadata") or {})
        node = graph.add(Node(f"job:{job.name}", f"smoke-test Job {job.name}", cluster))
        pod = reveal(job.inputs.get("spec") or {}).get("template", {}).get("spec", {})
        _pod_credentials(graph, plan, node, meta.get("namespace", ""), pod, principals)


def _pod_credentials(
    graph: SendGraph, plan: Plan, sender: str, namespace: str, pod: dict, principals: dict[str, str]
) -> None:
    """Edges from a pod's sender to the credentials it really gets: its ServiceAccount,
    and the IAM user whose key id is in the Secret its env reads."""
    if pod.get("serviceAccountName"):
        account = f"sa:{namespace}/{pod['serviceAccountName']}"
        if account in graph.nodes:
            graph.edge(sender, "runs as", account)
    refs = {
        (e.get("name"), e["valueFrom"]["secretKeyRef"].get("name"))
        for c in pod.get("containers", [])
        for e in c.get("env", [])
        if (e.get("valueFrom") or {}).get("secretKeyRef")
    }
    for variable, how in (("AWS_ACCESS_KEY_ID", "access key (Secret)"), ("AWS_SES_USER", "SMTP password (Secret)")):
        for secret_name in {name for var, name in refs if var == variable}:
            held = {
                str(value)
                for secret in plan.of_type("kubernetes:core/v1:Secret")
                if reveal(secret.inputs.get("metadata") or {}).get("name") == secret_name
                for value in (reveal(secret.inputs.get("stringData")) or {}).values()
            }
            for key in plan.of_type("aws:iam/accessKey:AccessKey"):
                user = principals.get(str(reveal(key.inputs.get("user"))))
                if user and key.id in held:
                    graph.edge(sender, how, user)


def _escape(text: str) -> str:
    """Mermaid entity codes for the characters its labels treat specially."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def mermaid(graph: SendGraph) -> list[str]:
    """The graph as a Mermaid flowchart (lines of a ```mermaid block's body), in a stable
    order (by group and label), whatever order the program registered things in."""
    nodes = sorted(graph.nodes.values(), key=lambda n: (n.group, n.label))
    ids = {node.key: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart LR"]
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        groups.setdefault(node.group, []).append(node)
    for g, (group, nodes) in enumerate(groups.items()):
        lines.append(f'  subgraph g{g}["{_escape(group)}"]')
        lines += [f'    {ids[n.key]}["{_escape(n.label)}"]' for n in nodes]
        lines.append("  end")
    order = {key: i for i, key in enumerate(ids)}
    edges = sorted(graph.edges, key=lambda e: (order[e[0]], e[1], order[e[2]]))
    lines += [f'  {ids[a]} -->|"{_escape(label)}"| {ids[b]}' for a, label, b in edges]
    return lines
