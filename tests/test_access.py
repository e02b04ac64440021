"""The access proof: who may and may not send, decided by an IAM policy evaluator nobody
here wrote (@cloud-copilot/iam-simulate, test-only, see tests/access/), on the policy
documents of every plan the tests build: each scenario and each committed stack. The
evaluator gets each document as the resource carries it, the JSON text AWS receives,
and all the checks of the session go to one evaluator process (tests/iam_simulate.py).

For each plan it checks exactly the path ZMS really takes (its role or its IAM user),
each delegated sender (with and without the identity policy, when it needs one), and
each IRSA trust policy (ZMS's ServiceAccount, and nobody else). A failure prints the
evaluator's own explanation.
"""

from __future__ import annotations

import re

import pytest
from conftest import every_plan_name
from iam_simulate import (
    ALLOWED,
    AccessRequest,
    AccessResult,
    alias_web_identity,
    assert_decision,
    oidc_provider_arn,
    simulate,
    web_identity_context,
)

from offline_plan.engine import Plan, PlannedResource, reveal
from policy_pack.policy_reader import as_list, parse, statements

PLANS = every_plan_name()
SEND = ("ses:SendEmail", "ses:SendRawEmail")
OTHER_SES_ACTIONS = ("ses:SendBulkEmail", "ses:SendTemplatedEmail", "ses:DeleteEmailIdentity", "ses:GetEmailIdentity")
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
USER, USER_POLICY = "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy"
IDENTITY_POLICY = "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
SA = "kubernetes:core/v1:ServiceAccount"
PROVIDER = re.compile(r"arn:aws:iam::(?P<account>\d{12}):oidc-provider/(?P<host>.+)")


def document(resource: PlannedResource, field: str = "policy") -> str:
    """The policy exactly as the resource carries it: the JSON text AWS receives."""
    text = reveal(resource.inputs[field])
    assert isinstance(text, str), (resource.name, field, text)
    return text


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def another_identity(identity_arn: str) -> str:
    """An identity of the same account and Region that the stack never granted."""
    return identity_arn.rsplit("/", 1)[0] + "/intruder@example.com"


def identity_policy(plan: Plan) -> str | None:
    found = plan.of_type(IDENTITY_POLICY)
    return document(found[0]) if found else None


def role_and_policies(plan: Plan, role_arn: str) -> tuple[PlannedResource, list[str]]:
    (role,) = [r for r in plan.of_type(ROLE) if r.outputs["arn"] == role_arn]
    return role, [document(p) for p in plan.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]


def zms_principal(plan: Plan) -> tuple[str, list[str], tuple[str, ...]]:
    """ZMS's principal, its identity policies and the SES actions its path needs."""
    principal = plan.outputs["zmsPrincipalArn"]
    if plan.outputs.get("roleArn"):
        _, policies = role_and_policies(plan, principal)
        return principal, policies, SEND
    (user,) = plan.of_type(USER)
    assert user.outputs["arn"] == principal
    policies = [document(p) for p in plan.of_type(USER_POLICY) if p.inputs["user"] == user.id]
    smtp = plan.outputs.get("smtpEndpoint") is not None
    return principal, policies, ("ses:SendRawEmail",) if smtp else SEND  # SMTP sends are SendRawEmail


def sender_address(plan: Plan) -> str:
    """The From address of the stack's mail (its own config: senderEmail)."""
    return plan.config["athenz-ses:senderEmail"]


def another_address(plan: Plan) -> str:
    """Another address of the sender's domain: the same identity (a domain's) or the same
    domain, never granted."""
    return "intruder@" + sender_address(plan).rpartition("@")[2]


def send(
    name: str,
    principal: str,
    policies: list[str],
    action: str,
    identity: str,
    resource_policy: str | None,
    from_address: str,
) -> AccessRequest:
    return AccessRequest(
        name,
        principal,
        action,
        identity,
        account_of(identity),
        identity_policies=policies,
        resource_policy=resource_policy,
        # The key exists for the send actions only (SES's service authorization reference).
        context={"ses:FromAddress": from_address} if action in SEND else {},
    )


def run(requests: list[AccessRequest]) -> dict[str, AccessResult]:
    results = simulate(requests)
    return {r.name: r for r in results}


@pytest.mark.parametrize("name", PLANS)
def test_zms_may_send_as_its_identities_and_nothing_else(every_plan, name):
    plan = every_plan[name]
    principal, policies, needed = zms_principal(plan)
    sender = plan.outputs["senderIdentityArn"]
    identities = [sender, *plan.outputs["recipientIdentityArns"]]
    on_sender = identity_policy(plan)

    def req(label: str, action: str, identity: str, from_address: str | None = None) -> AccessRequest:
        on = on_sender if identity == sender else None
        return send(label, principal, policies, action, identity, on, from_address or sender_address(plan))

    allowed = [req(f"{action} {identity}", action, identity) for action in needed for identity in identities]
    denied = [req(f"{action} elsewhere", action, another_identity(sender)) for action in SEND]
    # The same identity, another From address of its domain: refused by ses:FromAddress.
    denied += [req(f"{action} as {another_address(plan)}", action, sender, another_address(plan)) for action in SEND]
    denied += [
        req(f"{action} on the sender", action, sender) for action in OTHER_SES_ACTIONS + tuple(set(SEND) - set(needed))
    ]
    results = run(allowed + denied)
    for request in allowed:
        assert_decision(results[request.name], ALLOWED)
    for request in denied:
        assert not results[request.name].allowed, results[request.name].explain()


@pytest.mark.parametrize("name", PLANS)
def test_zms_may_send_through_the_bounce_configuration_set_of_its_identity(every_plan, name):
    """SES authorizes a send on the configuration set it applies as well (the sender
    identity's default): without it every send of ZMS is AccessDenied once bounce handling
    is on. ZMS may use this set, and no other set of the account."""
    plan = every_plan[name]
    set_name = plan.outputs.get("configurationSetName")
    if not set_name:
        return
    principal, policies, needed = zms_principal(plan)
    sender = plan.outputs["senderIdentityArn"]
    own = sender.split(":identity/")[0] + f":configuration-set/{set_name}"
    other = sender.split(":identity/")[0] + ":configuration-set/marketing"
    address = sender_address(plan)
    allowed = [send(f"{action} via {own}", principal, policies, action, own, None, address) for action in needed]
    denied = [send(f"{action} via {other}", principal, policies, action, other, None, address) for action in SEND]
    results = run(allowed + denied)
    for request in allowed:
        assert_decision(results[request.name], ALLOWED)
    for request in denied:
        assert not results[request.name].allowed, results[request.name].explain()


@pytest.mark.parametrize("name", PLANS)
def test_each_delegated_sender_sends_as_the_sender_only_through_its_own_grant(every_plan, name):
    plan = every_plan[name]
    senders = plan.outputs.get("senderServiceAccounts") or {}
    if not senders:
        assert plan.of_type(IDENTITY_POLICY) == []  # no delegated sender, no identity policy
        return
    sender = plan.outputs["senderIdentityArn"]
    on_sender = identity_policy(plan)
    address, intruder = sender_address(plan), another_address(plan)
    requests, expect = [], {}
    for key, grant in senders.items():
        _, policies = role_and_policies(plan, grant["roleArn"])
        cross = "sourceArn" in grant
        assert (on_sender is not None) == cross and (not cross or grant["sourceArn"] == sender)
        for action in SEND:
            requests.append(send(f"{key} {action}", grant["roleArn"], policies, action, sender, on_sender, address))
            expect[f"{key} {action}"] = True
            requests.append(
                send(f"{key} {action} as {intruder}", grant["roleArn"], policies, action, sender, on_sender, intruder)
            )
            expect[f"{key} {action} as {intruder}"] = False
            # Across accounts the identity policy is what lets it in: without it, denied.
            requests.append(
                send(
                    f"{key} {action} without the identity policy",
                    grant["roleArn"],
                    policies,
                    action,
                    sender,
                    None,
                    address,
                )
            )
            expect[f"{key} {action} without the identity policy"] = not cross
            requests.append(
                send(
                    f"{key} {action} elsewhere",
                    grant["roleArn"],
                    policies,
                    action,
                    another_identity(sender),
                    None,
                    address,
                )
            )
            expect[f"{key} {action} elsewhere"] = False
    if on_sender is not None:
        # The identity policy names exactly the delegated roles: a role of the same account
        # with the same permissions is not let in.
        stranger = f"arn:aws:iam::{account_of(next(iter(senders.values()))['roleArn'])}:role/stranger"
        _, policies = role_and_policies(plan, next(iter(senders.values()))["roleArn"])
        requests.append(send("stranger", stranger, policies, "ses:SendEmail", sender, on_sender, address))
        expect["stranger"] = False
    results = run(requests)
    for label, allowed in expect.items():
        if allowed:
            assert_decision(results[label], ALLOWED)
        else:
            assert not results[label].allowed, results[label].explain()


def assume(
    label: str, role: PlannedResource, trust: dict, host: str, sub: str, aud: str = "sts.amazonaws.com"
) -> AccessRequest:
    account = account_of(role.outputs["arn"])
    return AccessRequest(
        label,
        oidc_provider_arn(account, host),
        "sts:AssumeRoleWithWebIdentity",
        role.outputs["arn"],
        account,
        resource_policy=trust,
        context=web_identity_context(host, sub=sub, aud=aud),
    )


@pytest.mark.parametrize("name", PLANS)
def test_each_role_is_assumed_by_its_own_service_account_only(every_plan, name):
    plan = every_plan[name]
    requests, allowed = [], set()
    for sa in plan.of_type(SA):
        meta = sa.inputs["metadata"]
        namespace, account_name = meta["namespace"], meta["name"]
        if "annotations" not in meta:  # EKS Pod Identity: see the next test
            assert association_of(plan, namespace, account_name) is not None, meta
            continue
        role, _ = role_and_policies(plan, meta["annotations"]["eks.amazonaws.com/role-arn"])
        trust = parse(document(role, "assumeRolePolicy"))
        assert trust is not None
        (statement,) = statements(trust)
        (federated,) = as_list(statement["Principal"]["Federated"])
        provider = PROVIDER.fullmatch(federated)
        assert provider and provider["account"] == account_of(role.outputs["arn"])
        # iam-simulate keeps the web-identity keys only of providers it knows and drops
        # `oidc.eks...:sub`; rename the issuer to one it knows, in policy and request alike.
        aliased, host = alias_web_identity(dict(trust), provider["host"])
        subject = f"system:serviceaccount:{namespace}:{account_name}"
        label = f"{namespace}/{account_name}"
        requests += [
            assume(f"{label}: itself", role, aliased, host, subject),
            assume(
                f"{label}: another ServiceAccount of its namespace",
                role,
                aliased,
                host,
                f"system:serviceaccount:{namespace}:default",
            ),
            assume(
                f"{label}: its name in another namespace",
                role,
                aliased,
                host,
                f"system:serviceaccount:kube-system:{account_name}",
            ),
            assume(f"{label}: another audience", role, aliased, host, subject, aud="sts.example.com"),
        ]
        allowed.add(f"{label}: itself")
    if not requests:
        assert plan.of_type(ROLE) == [] or plan.of_type(ASSOCIATION)  # no ServiceAccount, no IRSA role
        return
    results = run(requests)
    for request in requests:
        if request.name in allowed:
            assert_decision(results[request.name], ALLOWED)
        else:
            assert not results[request.name].allowed, results[request.name].explain()


def association_of(plan: Plan, namespace: str, name: str) -> PlannedResource | None:
    found = [
        a for a in plan.of_type(ASSOCIATION) if (a.inputs["namespace"], a.inputs["serviceAccount"]) == (namespace, name)
    ]
    assert len(found) <= 1
    return found[0] if found else None


def pod_tags(cluster_arn: str, namespace: str, name: str) -> dict[str, str]:
    """The session tags EKS Pod Identity sets when it assumes a role for a pod (AWS EKS
    user guide, "Enable or disable session tags")."""
    return {
        "aws:RequestTag/eks-cluster-arn": cluster_arn,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": name,
    }


@pytest.mark.parametrize("name", PLANS)
def test_each_pod_identity_role_is_assumed_for_its_own_service_account_only(every_plan, name):
    """EKS assumes the association role (pods.eks.amazonaws.com) with the pod's session
    tags; across accounts it then chains, as the association role, into the target role.
    Either step admits this cluster's ServiceAccount only, and nobody else chains in."""
    plan = every_plan[name]
    associations = plan.of_type(ASSOCIATION)
    if not associations:
        return
    cluster_name = plan.config["athenz-ses:eksClusterName"]
    # The cluster as the plan looked it up: in the account and Region of that look-up.
    (where,) = {where for token, args, where in plan.calls if token == "aws:eks/getCluster:getCluster"}
    cluster = f"arn:aws:eks:{where.region}:{where.account}:cluster/{cluster_name}"
    other_cluster = cluster.rsplit("/", 1)[0] + "/staging"
    requests, allowed = [], set()
    for association in associations:
        namespace, account_name = association.inputs["namespace"], association.inputs["serviceAccount"]
        assert association.inputs["clusterName"] == cluster_name
        assert association.inputs.get("disableSessionTags") is False
        role, role_policies = role_and_policies(plan, association.inputs["roleArn"])
        trust = document(role, "assumeRolePolicy")
        label = f"{namespace}/{account_name}"
        tags = pod_tags(cluster, namespace, account_name)
        for action in ("sts:AssumeRole", "sts:TagSession"):
            cases = {
                f"{label}: EKS {action} for itself": tags,
                f"{label}: EKS {action} for another ServiceAccount": {
                    **tags,
                    "aws:RequestTag/kubernetes-service-account": "default",
                },
                f"{label}: EKS {action} for its name in another namespace": {
                    **tags,
                    "aws:RequestTag/kubernetes-namespace": "kube-system",
                },
                f"{label}: EKS {action} for another cluster": {**tags, "aws:RequestTag/eks-cluster-arn": other_cluster},
                f"{label}: EKS {action} without session tags": {},
            }
            for case, context in cases.items():
                requests.append(
                    AccessRequest(
                        case,
                        "pods.eks.amazonaws.com",
                        action,
                        role.outputs["arn"],
                        account_of(role.outputs["arn"]),
                        resource_policy=trust,
                        context=context,
                    )
                )
            allowed.add(f"{label}: EKS {action} for itself")
        target_arn = association.inputs.get("targetRoleArn")
        if not target_arn:
            continue
        target, _ = role_and_policies(plan, target_arn)
        target_trust = document(target, "assumeRolePolicy")
        assert account_of(target_arn) != account_of(role.outputs["arn"])
        cluster_account = account_of(role.outputs["arn"])
        session = f"arn:aws:sts::{cluster_account}:assumed-role/{role.outputs['name']}/eks-session"
        stranger = f"arn:aws:sts::{cluster_account}:assumed-role/stranger/eks-session"
        # The evaluator does not derive aws:PrincipalArn; for a role session AWS sets it
        # to the role's ARN (IAM user guide, global condition context keys).
        as_role = {"aws:PrincipalArn": role.outputs["arn"]}
        as_stranger = {"aws:PrincipalArn": f"arn:aws:iam::{cluster_account}:role/stranger"}
        for action in ("sts:AssumeRole", "sts:TagSession"):
            chain = {
                f"{label}: chains {action} into its target role": (session, role_policies, {**tags, **as_role}),
                f"{label}: chains {action} for another ServiceAccount": (
                    session,
                    role_policies,
                    {**tags, **as_role, "aws:RequestTag/kubernetes-service-account": "default"},
                ),
                f"{label}: chains {action} for another cluster": (
                    session,
                    role_policies,
                    {**tags, **as_role, "aws:RequestTag/eks-cluster-arn": other_cluster},
                ),
                f"{label}: another role of the cluster account {action} with the same grant": (
                    stranger,
                    role_policies,
                    {**tags, **as_stranger},
                ),
                f"{label}: the association role {action} without its chain grant": (session, [], {**tags, **as_role}),
            }
            for case, (principal, policies, context) in chain.items():
                requests.append(
                    AccessRequest(
                        case,
                        principal,
                        action,
                        target_arn,
                        account_of(target_arn),
                        identity_policies=policies,
                        resource_policy=target_trust,
                        context=context,
                    )
                )
            allowed.add(f"{label}: chains {action} into its target role")
            # EKS itself cannot skip the association role.
            requests.append(
                AccessRequest(
                    f"{label}: EKS {action} straight into the target role",
                    "pods.eks.amazonaws.com",
                    action,
                    target_arn,
                    account_of(target_arn),
                    resource_policy=target_trust,
                    context=tags,
                )
            )
        # The association role may do nothing but chain: it cannot send itself.
        sender = plan.outputs["senderIdentityArn"]
        requests.append(
            AccessRequest(
                f"{label}: the association role sends",
                session,
                "ses:SendEmail",
                sender,
                account_of(sender),
                identity_policies=role_policies,
                context=as_role,
            )
        )
    results = run(requests)
    for request in requests:
        if request.name in allowed:
            assert_decision(results[request.name], ALLOWED)
        else:
            assert not results[request.name].allowed, results[request.name].explain()


TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
CONFIGURATION_SET = "aws:sesv2/configurationSet:ConfigurationSet"


@pytest.mark.parametrize("name", PLANS)
def test_only_ses_publishes_to_the_bounce_topic_for_this_configuration_set(every_plan, name):
    """The topic policy lets SES publish this set's events, in its account: another
    configuration set, another account's SES, and anyone else are denied."""
    plan = every_plan[name]
    policies = plan.of_type(TOPIC_POLICY)
    assert len(policies) == (1 if plan.outputs.get("bounceTopicArn") else 0)
    if not policies:
        return
    (policy,) = policies
    topic = plan.outputs["bounceTopicArn"]
    assert reveal(policy.inputs["arn"]) == topic
    (configuration_set,) = plan.of_type(CONFIGURATION_SET)
    set_arn = configuration_set.outputs["arn"]
    account = account_of(topic)
    assert account_of(set_arn) == account
    document_ = document(policy)
    source = {"aws:SourceAccount": account, "aws:SourceArn": set_arn}
    cases = {
        "SES for this set": ("ses.amazonaws.com", source, True),
        "SES for another set": (
            "ses.amazonaws.com",
            {**source, "aws:SourceArn": set_arn.rsplit("/", 1)[0] + "/other"},
            False,
        ),
        "SES for another account": (
            "ses.amazonaws.com",
            {"aws:SourceAccount": "333333333333", "aws:SourceArn": set_arn.replace(account, "333333333333")},
            False,
        ),
        "SES without a source": ("ses.amazonaws.com", {}, False),
        "another service": ("sns.amazonaws.com", source, False),
        "a role of another account": ("arn:aws:iam::333333333333:role/intruder", source, False),
    }
    requests = [
        AccessRequest(label, principal, "sns:Publish", topic, account, resource_policy=document_, context=context)
        for label, (principal, context, _) in cases.items()
    ]
    results = run(requests)
    for label, (_, _, allowed) in cases.items():
        if allowed:
            assert_decision(results[label], ALLOWED)
        else:
            assert not results[label].allowed, results[label].explain()


def test_the_proof_covers_every_path(every_plan):
    """Each send path of the decision table, and delegated senders both ways, are proven."""
    paths = {
        (p.outputs.get("roleArn") is not None, p.outputs.get("smtpEndpoint") is not None) for p in every_plan.values()
    }
    assert paths == {(True, False), (False, False), (False, True)}  # IRSA, access key, SMTP
    modes = {
        "sourceArn" in grant
        for p in every_plan.values()
        for grant in (p.outputs.get("senderServiceAccounts") or {}).values()
    }
    assert modes == {True, False}
    # EKS Pod Identity in one account, and across accounts through a target role.
    targets = {bool(a.inputs.get("targetRoleArn")) for p in every_plan.values() for a in p.of_type(ASSOCIATION)}
    assert targets == {True, False}
    assert any(p.of_type(TOPIC_POLICY) for p in every_plan.values())  # bounce handling
    # ZMS through its identity's default configuration set: with a role and with a user.
    assert {bool(p.outputs.get("roleArn")) for p in every_plan.values() if p.outputs.get("configurationSetName")} == {
        True,
        False,
    }
    # A sender domain (stack prod): SES authorizes a send from an address of it against
    # the domain identity, so that is the identity the proof sends as.
    assert any("@" not in p.outputs["senderIdentityArn"].rsplit("/", 1)[1] for p in every_plan.values())
