"""The picture at the top of summary.md (offline_plan/send_graph.py): who can send as
which identity, read from each plan's own trust policies, policy documents, identity
policies and ZMS patch. Our own mock engine produces the plans; the edges come from the
policy documents the plan would send to AWS."""

from __future__ import annotations

import pytest

from offline_plan.send_graph import SendGraph, build, mermaid


def labelled(graph: SendGraph) -> set[tuple[str, str, str]]:
    return {(graph.nodes[a].label, label, graph.nodes[b].label) for a, label, b in graph.edges}


def reachable(graph: SendGraph, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for a, _, b in graph.edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return {graph.nodes[key].label for key in seen}


def test_dev_zms_runs_as_its_service_account_which_assumes_a_role_that_may_send(stack_plans):
    graph = build(stack_plans["dev"])
    edges = {(a, label, b.split(" (")[0]) for a, label, b in labelled(graph)}
    role = next(n.label for n in graph.nodes.values() if n.label.startswith("IAM role"))
    assert edges == {
        ("ZMS (Deployment athenz/athenz-zms-server)", "runs as", "ServiceAccount athenz/athenz-ses-dev"),
        ("ServiceAccount athenz/athenz-ses-dev", "assumes (IRSA)", role),
        (role, "may send as: ses:SendEmail, ses:SendRawEmail", "SES identity zms@example.com"),
        (role, "may send as: ses:SendEmail, ses:SendRawEmail", "SES identity alice@example.com"),
    }
    assert graph.nodes[next(k for k in graph.nodes if k.startswith("role:"))].group == "account 222222222222"


def test_the_smtp_user_may_only_send_raw_mail(plans):
    graph = build(plans["kind-smtp"])
    sends = {label for _, label, b in labelled(graph) if b.startswith("SES identity")}
    assert sends == {"may send as: ses:SendRawEmail"}
    assert any(label == "SMTP password (Secret)" for _, label, _ in labelled(graph))


def test_delegated_senders_across_accounts_send_by_the_identity_policy(plans):
    graph = build(plans["cross-sending-authorization"])
    authorized = {a for a, label, b in labelled(graph) if label == "sending authorization (identity policy)"}
    assert len(authorized) == 2 and all(a.startswith("IAM role athenz-ses-sender-") for a in authorized)
    roles = [n for n in graph.nodes.values() if n.label.startswith("IAM role")]
    assert {n.group for n in roles} == {"account 111111111111"}  # the roles live in the cluster account
    # ZMS itself sends with its access key, as the identity of the SES account.
    assert ("ZMS (Deployment athenz/athenz-zms-server)", "access key (Secret)") in {
        (a, label) for a, label, _ in labelled(graph)
    }


@pytest.mark.parametrize(
    "name",
    [
        "scenario:same-account-irsa",
        "scenario:cross-federated-irsa",
        "scenario:cross-sending-authorization",
        "scenario:kind-access-key",
        "scenario:kind-smtp",
        "stack:dev",
        "stack:local",
        "stack:plugin",
    ],
)
def test_from_zms_the_picture_reaches_the_sender_identity_and_every_principal_is_used(every_plan, name):
    """The send path is connected in the plan itself, and no role or user stands alone."""
    graph = build(every_plan[name])
    assert any(label.startswith("SES identity zms@example.com") for label in reachable(graph, "zms"))
    targets = {b for _, _, b in graph.edges}
    for key, node in graph.nodes.items():
        if key.startswith(("role:", "user:")):
            assert key in targets, f"{node.label}: nothing in the plan uses it"


def test_the_diagram_is_a_mermaid_flowchart_with_one_line_per_edge_and_quoted_labels(stack_plans):
    graph = build(stack_plans["dev"])
    lines = mermaid(graph)
    assert lines[0] == "flowchart LR"
    assert sum("-->|" in line for line in lines) == len(graph.edges)
    assert all('"' not in label for node in graph.nodes.values() for label in [node.label])
    body = "\n".join(lines)
    assert body.count("subgraph") == body.count("\n  end") == 2


def test_the_smoke_test_jobs_are_drawn_with_the_credentials_they_really_get(configs):
    """The Job of the access-key path reads ZMS's Secret (the key id in it is the user's);
    the delegated sender's Job runs as that workload's ServiceAccount."""
    from offline_plan.engine import run_program

    plan = run_program("smoke", {**configs["cross-sending-authorization"], "athenz-ses:smokeTest": "true"})
    assert plan.error is None, plan.error
    edges = {(a.split(" ")[0:2][0], label, b.split(" ")[0]) for a, label, b in labelled(build(plan))}
    assert ("smoke-test", "access key (Secret)", "IAM") in edges
    assert ("smoke-test", "runs as", "ServiceAccount") in edges


def test_pod_identity_across_accounts_reaches_the_identity_through_the_target_role(plans):
    graph = build(plans["cross-pod-identity"])
    zms = reachable(graph, "zms")
    assert "SES identity zms@example.com (eu-west-1)" in zms
    edges = {(a.split(" ")[0] + " " + a.split(" ")[1], label) for a, label, _ in labelled(graph)}
    assert ("ServiceAccount athenz/athenz-ses-cross-pod-identity", "assumes (EKS Pod Identity, cluster prod)") in edges
    chains = [(a, b) for a, label, b in graph.edges if label == "chains into (target role)"]
    assert len(chains) == 2  # ZMS's role and the delegated sender's
    for a, b in chains:
        assert (graph.nodes[a].group, graph.nodes[b].group) == ("account 111111111111", "account 222222222222")
    # Only the target roles may send: the association roles hold nothing but the chain.
    senders = {graph.nodes[a].group for a, label, _ in graph.edges if label.startswith("may send as")}
    assert senders == {"account 222222222222"}
