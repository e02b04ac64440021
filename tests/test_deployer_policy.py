"""What the deploying credentials need (offline_plan/deployer_policy.py), for every plan the
tests build: each scenario, each committed stack, and a copy of prod in another Region and
other accounts.

- the table covers every AWS resource type and provider function a plan uses;
- every action exists in the Service Authorization Reference (the copy @cloud-copilot/
  iam-data ships in tests/access), and only actions it lists with no resource type are
  granted on `*`;
- parliament finds nothing above LOW;
- an IAM policy evaluator (@cloud-copilot/iam-simulate) allows what `pulumi up` does to
  the stack's own resources and denies the same actions on anything else.

Every expectation comes from the plan or the stack's config, never from committed values.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import parliament
import pulumi
import pulumi_aws as aws
import pytest
from conftest import CLUSTER, MOVED_ACCOUNTS, MOVED_REGION, cfg, every_plan_name
from iam_simulate import ALLOWED, LIBRARY_DIR, AccessRequest, assert_decision, simulate
from test_upgrade import BEFORE_NAMES, BEFORE_NAMES_KEYS, earlier_urns

from athenz_ses.notifications import AthenzSesNotifications, AthenzSesNotificationsArgs
from offline_plan.aliases import match
from offline_plan.deployer_policy import (
    ACTIONS,
    BOUNDED,
    NO_RESOURCE_LEVEL,
    NOT_AWS,
    AccountPolicy,
    UnknownTypeError,
    deployer_policies,
    deploying_account,
)
from offline_plan.engine import Plan, PlannedResource, reveal, run_program
from offline_plan.mocks import Location, autoname
from offline_plan.render import DEPLOYER_DIR, write_plan

PLANS = [*every_plan_name(), "bounded"]
IAM_DATA = LIBRARY_DIR.parent / "iam-data" / "data"
ROLE, ROLE_POLICY, USER = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/user:User"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
EMAIL_IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
FAILING = ("MEDIUM", "HIGH", "CRITICAL")

# prod, copied by a user into other accounts and another Region (conftest.moved_config).
MOVED_CLUSTER, MOVED_SES = MOVED_ACCOUNTS["111111111111"], MOVED_ACCOUNTS["222222222222"]


@pytest.fixture(scope="module")
def all_plans(every_plan) -> dict[str, Plan]:
    bounded = run_program("bounded", cfg(aws_region="eu-west-1", clusterAccountId=CLUSTER), program=bounded_program)
    assert bounded.error is None, bounded.error
    return {**every_plan, "bounded": bounded}


def aws_resources(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.resources if r.custom and not r.type.startswith(NOT_AWS)]


def policy_of(plan: Plan, account: str) -> AccountPolicy:
    (found,) = [p for p in deployer_policies(plan).accounts if p.account == account]
    return found


def account_of(arn: str) -> str:
    return arn.split(":")[4]


@pytest.mark.parametrize("name", PLANS)
def test_the_table_covers_every_resource_type_and_function_of_the_plan(all_plans, name):
    plan = all_plans[name]
    unknown = sorted({r.type for r in aws_resources(plan)} - ACTIONS.keys())
    unknown += sorted({token for token, _, _ in plan.calls if token.startswith("aws:")} - ACTIONS.keys())
    assert unknown == [], f"not in offline_plan/deployer_policy.py ACTIONS: {unknown}"
    policies = deployer_policies(plan)
    accounts = {r.location.account for r in aws_resources(plan)} | {loc.account for _, _, loc in plan.calls}
    assert [p.account for p in policies.accounts] == sorted(accounts - {"kubernetes", "-"})


def test_an_unknown_resource_type_fails_with_its_name(plans):
    plan = dataclasses.replace(plans["kind-smtp"], resources=list(plans["kind-smtp"].resources))
    plan.resources.append(
        PlannedResource(
            urn="urn:pulumi:x::y::aws:s3/bucket:Bucket::mail-archive",
            id="mail-archive",
            type="aws:s3/bucket:Bucket",
            name="mail-archive",
            custom=True,
            parent="",
            inputs={},
            outputs={},
            location=Location(CLUSTER, "eu-west-1"),
            dependencies=[],
        )
    )
    with pytest.raises(UnknownTypeError, match="aws:s3/bucket:Bucket"):
        deployer_policies(plan)


def _sar(service: str) -> dict[str, dict]:
    return {k.lower(): v for k, v in json.loads((IAM_DATA / "actions" / f"{service}.json").read_text()).items()}


def _outdated_in_parliament(finding) -> bool:
    """A RESOURCE_MISMATCH that only says parliament's bundled copy of the reference knows
    no resource type for the action ('*'), where the current reference (iam-data) has one
    (ses:CreateEmailIdentity on `identity`): scoping it is right, not a finding."""
    if finding.issue != "RESOURCE_MISMATCH":
        return False
    for detail in finding.detail:
        service, name = detail["action"].split(":")
        if detail.get("required_format") != "*" or not _sar(service)[name.lower()]["resourceTypes"]:
            return False
    return True


@pytest.mark.parametrize("name", PLANS)
def test_parliament_finds_nothing_above_low(all_plans, name):
    for policy in deployer_policies(all_plans[name]).accounts:
        findings = parliament.analyze_policy_string(json.dumps(policy.document)).findings
        serious = [
            (f.issue, f.detail)
            for f in findings
            if parliament.config[f.issue]["severity"] in FAILING and not _outdated_in_parliament(f)
        ]
        assert serious == [], f"{policy.account}: {serious}"


def test_every_action_of_the_table_is_in_the_service_authorization_reference():
    actions = {a for needs in ACTIONS.values() for a in (*needs.actions, *needs.delete)} | set(NO_RESOURCE_LEVEL)
    actions |= {"sts:AssumeRole"} | {a for bounded in BOUNDED.values() for a in bounded}
    missing = [a for a in sorted(actions) if a.split(":")[1].lower() not in _sar(a.split(":")[0])]
    assert missing == []
    for action in NO_RESOURCE_LEVEL:  # granted on `*` only because it cannot be scoped
        service, name = action.split(":")
        assert _sar(service)[name.lower()]["resourceTypes"] == [], action
    for action in (a for bounded in BOUNDED.values() for a in bounded):  # the condition it is granted with
        assert "iam:PermissionsBoundary" in _sar("iam")[action.split(":")[1].lower()]["conditionKeys"], action


@pytest.mark.parametrize("name", PLANS)
def test_no_wildcard_action_and_star_only_where_nothing_can_be_scoped(all_plans, name):
    documents = [p.document for p in deployer_policies(all_plans[name]).accounts]
    for statement in (s for d in documents for s in d["Statement"]):
        assert not any("*" in a for a in statement["Action"]), statement
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        if "*" in statement["Resource"]:
            assert statement["Resource"] == ["*"] and set(statement["Action"]) <= NO_RESOURCE_LEVEL.keys(), statement


@pytest.mark.parametrize("name", PLANS)
def test_every_arn_is_in_the_accounts_and_region_of_the_plan(all_plans, name):
    plan = all_plans[name]
    regions = {r.location.region for r in aws_resources(plan)} | {loc.region for _, _, loc in plan.calls}
    for policy in deployer_policies(plan).accounts:
        for resource in (r for s in policy.document["Statement"] for r in s["Resource"] if r != "*"):
            parts = resource.split(":")
            assert parts[3] in regions | {""}, resource
            assumed = "sts:AssumeRole" in json.dumps(policy.document) and ":role/" in resource
            assert parts[4] in (policy.account, "") or assumed, resource


def _request(
    label: str,
    policy: AccountPolicy,
    action: str,
    resource: str,
    resource_policy: dict | None = None,
    context: dict[str, str] | None = None,
) -> AccessRequest:
    return AccessRequest(
        label,
        f"arn:aws:iam::{policy.account}:role/stack-deployer",
        action,
        resource,
        account_of(resource) or policy.account,
        identity_policies=[policy.document],
        resource_policy=resource_policy,
        context=context or {},
    )


def _kept(plan: Plan, identity_arn: str) -> bool:
    (identity,) = [
        r for r in plan.of_type(EMAIL_IDENTITY) if identity_arn.endswith("/" + reveal(r.inputs["emailIdentity"]))
    ]
    return identity.retain_on_delete or bool(identity.import_id)


@pytest.mark.parametrize("name", PLANS)
def test_the_deployer_may_manage_the_stack_and_nothing_else(all_plans, name):
    plan = all_plans[name]
    ses_account = plan.outputs["sesAccountId"]
    ses = policy_of(plan, ses_account)
    sender = plan.outputs["senderIdentityArn"]
    another = sender.rsplit("/", 1)[0] + "/intruder@example.com"
    allowed = [_request("create the sender", ses, "ses:CreateEmailIdentity", sender)]
    denied = [
        _request("delete another identity", ses, "ses:DeleteEmailIdentity", another),
        _request("create another identity", ses, "ses:CreateEmailIdentity", another),
        _request("a policy on an unrelated role", ses, "iam:PutRolePolicy", f"arn:aws:iam::{ses_account}:role/admin"),
        _request("delete an unrelated role", ses, "iam:DeleteRole", f"arn:aws:iam::{ses_account}:role/admin"),
        _request("pass an unrelated role", ses, "iam:PassRole", f"arn:aws:iam::{ses_account}:role/admin"),
    ]
    # Destroy deletes the sender unless the stack keeps it (retainIdentities, existingIdentities).
    (allowed if not _kept(plan, sender) else denied).append(
        _request("delete the sender", ses, "ses:DeleteEmailIdentity", sender)
    )
    # A user outside /athenz-ses/: by the name the stack's own user would get, and another.
    users = [u.name for u in plan.of_type(USER)] or ["intruder"]
    denied += [
        _request(f"user {u} outside the path", ses, "iam:CreateUser", f"arn:aws:iam::{ses_account}:user/{u}-1234567")
        for u in users
    ]
    for user in plan.of_type(USER):
        policy = policy_of(plan, user.location.account)
        boundary = reveal(user.inputs.get("permissionsBoundary"))  # created with it, or not at all
        context = {"iam:PermissionsBoundary": boundary} if boundary else None
        allowed.append(_request(f"create {user.name}", policy, "iam:CreateUser", user.outputs["arn"], context=context))
    role_arn = plan.outputs.get("roleArn")
    if role_arn:
        owner = policy_of(plan, account_of(role_arn))
        allowed.append(_request("a policy on ZMS's role", owner, "iam:PutRolePolicy", role_arn))
    for association in plan.of_type(ASSOCIATION):
        passed = reveal(association.inputs["roleArn"])
        policy = policy_of(plan, association.location.account)
        allowed.append(_request(f"pass {passed}", policy, "iam:PassRole", passed))
        admin = f"arn:aws:iam::{association.location.account}:role/admin"
        denied.append(_request("pass an unrelated role to EKS", policy, "iam:PassRole", admin))
        if "targetRoleArn" in association.inputs:  # chained into, never passed
            target = reveal(association.inputs["targetRoleArn"])
            denied.append(_request(f"pass {target}", policy, "iam:PassRole", target))
    for trust in deployer_policies(plan).trusts:
        base = policy_of(plan, deploying_account(plan))
        # Across accounts both sides decide: the deployer's policy and the role's trust.
        allowed.append(_request(f"assume {trust.role_arn}", base, "sts:AssumeRole", trust.role_arn, trust.document))
        other = trust.role_arn.rsplit("/", 1)[0] + "/admin"
        denied.append(_request(f"assume {other}", base, "sts:AssumeRole", other, trust.document))
    results = {r.name: r for r in simulate(allowed + denied)}
    for request in allowed:
        assert_decision(results[request.name], ALLOWED)
    for request in denied:
        assert not results[request.name].allowed, results[request.name].explain()


def test_the_copy_in_other_accounts_and_region_names_none_of_prods(all_plans):
    text = json.dumps([p.document for p in deployer_policies(all_plans["moved:prod"]).accounts])
    for committed in ("111111111111", "222222222222", "eu-west-1", "athenz-prod", "Z0EXAMPLE"):
        assert committed not in text
    for moved in (MOVED_CLUSTER, MOVED_SES, MOVED_REGION, "cluster/platform", "hostedzone/Z0MOVED"):
        assert moved in text


def test_an_existing_zms_role_gets_only_its_inline_policy(configs):
    """zmsRoleArn: the stack only puts, reads and deletes its inline policy on that role."""
    existing = f"arn:aws:iam::{CLUSTER}:role/eks/athenz-zms"
    plan = run_program("existing", {**configs["same-account-irsa"], **cfg(zmsRoleArn=existing)})
    assert plan.error is None, plan.error
    policy = policy_of(plan, CLUSTER)
    on_role = {a for s in policy.document["Statement"] if existing in s["Resource"] for a in s["Action"]}
    assert on_role == {"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"}
    assert not any(a.startswith("iam:") and "Role" in a and a not in on_role for a in policy.actions), policy.actions


def test_write_plan_writes_each_policy_and_lists_it_in_the_summary(plans, tmp_path: Path):
    plan = plans["cross-pod-identity"]
    policies = deployer_policies(plan)
    written = write_plan(plan, tmp_path / "plan")
    summary = (tmp_path / "plan" / "summary.md").read_text()
    assert "## What the deploying credentials need" in summary
    for policy in policies.accounts:
        path = tmp_path / "plan" / DEPLOYER_DIR / f"{policy.account}.json"
        assert path in written and json.loads(path.read_text()) == policy.document
        listed = f"`{DEPLOYER_DIR}/{policy.account}.json`: account {policy.account}, {len(policy.actions)} actions"
        assert listed in summary
    (trust,) = policies.trusts
    assert trust.role_arn == plan.config["athenz-ses:sesRoleArn"]
    document = json.loads((tmp_path / "plan" / DEPLOYER_DIR / f"{trust.role_name}.trust.json").read_text())
    (statement,) = document["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{plan.config['athenz-ses:clusterAccountId']}:root"}


TOPIC = "aws:sns/topic:Topic"
MANAGED = {
    ROLE: ("iam:GetRole", "iam:DeleteRole"),
    USER: ("iam:GetUser", "iam:DeleteUser"),
    TOPIC: ("sns:DeleteTopic",),
}


def _earlier_arn(r: PlannedResource, earlier_name: str) -> str:
    """The ARN `r` kept from a stack of an earlier version: auto-named after its name then."""
    physical = autoname(earlier_name)
    if r.type == TOPIC:
        return f"arn:aws:sns:{r.location.region}:{r.location.account}:{physical}"
    kind, path = ("role", "/") if r.type == ROLE else ("user", reveal(r.inputs.get("path")) or "/")
    return f"arn:aws:iam::{r.location.account}:{kind}{path}{physical}"


# The plans an earlier version deployed (the fixture lists their URNs then): not a copy, not a
# stack file of the user's own, which no earlier version planned.
@pytest.mark.parametrize("name", [p for p in PLANS if p in BEFORE_NAMES_KEYS])
def test_an_upgraded_stack_may_manage_what_it_made_under_its_earlier_names(all_plans, name):
    """A role, user or topic that `pulumi up` finds under an earlier name (upgrade_aliases)
    keeps the physical name it was auto-named with then: the deployer may manage it under
    that name too, and under the new one."""
    plan = all_plans[name]
    renamed = match(plan.resources, earlier_urns(BEFORE_NAMES, name, plan)).renamed
    by_urn = {r.urn: r for r in plan.resources}
    requests = [
        _request(f"{action} {r.name} as {old}", policy_of(plan, r.location.account), action, _earlier_arn(r, old))
        for earlier, new in renamed.items()
        if (r := by_urn[new]).type in MANAGED and not r.inputs.get("name")
        for old in [earlier.rsplit("::", 1)[1]]
        for action in MANAGED[r.type]
    ]
    if not any(r.type in MANAGED for r in plan.resources):
        assert requests == []
        return
    assert requests
    results = {r.name: r for r in simulate(requests)}
    for request in requests:
        assert_decision(results[request.name], ALLOWED)


def test_without_aliases_no_earlier_name_is_granted(all_plans):
    """A fresh component (no upgrade_aliases): only the names it gives now."""
    plan = all_plans["stack:dev"]
    bare = dataclasses.replace(plan, resources=[dataclasses.replace(r, aliases=[]) for r in plan.resources])
    text = json.dumps([p.document for p in deployer_policies(bare).accounts])
    assert "role/athenz-ses-zms-irsa-role-*" in text and "role/zms-irsa-role-*" not in text
    assert "role/zms-irsa-role-*" in json.dumps([p.document for p in deployer_policies(plan).accounts])


SES = "222222222222"
BOUNDARY_PATH = "policy/boundaries/athenz-mail"
IAM_PATH = "/teams/athenz/"


def bounded_program() -> None:
    """The component with a permissions boundary, an IAM path and tags: an IAM user in the
    SES account (access key) and a delegated sender's role in the cluster account."""
    ses = aws.Provider("ses", region="eu-west-1", allowed_account_ids=[SES])
    mail = AthenzSesNotifications(
        "athenz-ses",
        AthenzSesNotificationsArgs(
            sender_email="zms@example.com",
            email_domain_to="example.com",
            ses_region="eu-west-1",
            ses_account_id=SES,
            credentials="access-key",
            oidc_issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            cross_account_mode="sending-authorization",
            ses_provider=ses,
            sender_service_accounts=["mailer/reports"],
            sandbox=False,
            permissions_boundary=f"arn:aws:iam::{SES}:{BOUNDARY_PATH}",
            iam_path=IAM_PATH,
            tags={"owner": "platform"},
        ),
    )
    # What the program exports and the tests read.
    pulumi.export("sesAccountId", SES)
    pulumi.export("senderIdentityArn", mail.sender_identity_arn)
    pulumi.export("roleArn", mail.role_arn)


def test_with_a_boundary_the_deployer_creates_roles_and_users_only_with_it(all_plans):
    """iam:CreateRole, iam:CreateUser and Put*PermissionsBoundary only with the boundary of
    the principal's account (iam:PermissionsBoundary), never Delete*PermissionsBoundary;
    the roles and users under the IAM path only."""
    plan = all_plans["bounded"]
    (role,) = plan.of_type(ROLE)
    (user,) = plan.of_type(USER)
    assert (role.location.account, user.location.account) == (CLUSTER, SES)
    for policy in deployer_policies(plan).accounts:
        for statement in policy.document["Statement"]:
            creates = {"iam:CreateRole", "iam:CreateUser"} & set(statement["Action"])
            assert not creates or statement["Condition"] == {
                "StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{policy.account}:{BOUNDARY_PATH}"}
            }, statement
        assert not any(a.startswith("iam:Delete") and a.endswith("PermissionsBoundary") for a in policy.actions)
    requests, denied = [], []
    for principal, create, put in (
        (role, "iam:CreateRole", "iam:PutRolePermissionsBoundary"),
        (user, "iam:CreateUser", "iam:PutUserPermissionsBoundary"),
    ):
        account = principal.location.account
        policy = policy_of(plan, account)
        arn = principal.outputs["arn"]
        assert f":{'role' if principal is role else 'user'}{IAM_PATH}" in arn
        own = {"iam:PermissionsBoundary": f"arn:aws:iam::{account}:{BOUNDARY_PATH}"}
        other = {"iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/AdministratorAccess"}
        requests += [
            _request(f"{create} with the boundary", policy, create, arn, context=own),
            _request(f"{put} with the boundary", policy, put, arn, context=own),
        ]
        denied += [
            _request(f"{create} without a boundary", policy, create, arn),
            _request(f"{create} with another boundary", policy, create, arn, context=other),
            _request(f"{put} with another boundary", policy, put, arn, context=other),
            _request(f"{create} outside the path", policy, create, arn.replace(IAM_PATH, "/"), context=own),
        ]
    results = {r.name: r for r in simulate(requests + denied)}
    for request in requests:
        assert_decision(results[request.name], ALLOWED)
    for request in denied:
        assert not results[request.name].allowed, results[request.name].explain()
