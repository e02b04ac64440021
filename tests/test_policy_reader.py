"""Policies are the literal JSON AWS receives: no plan renders one with a provider
function. The one reader of policy documents (policy_pack/policy_reader.py), which the
policy pack, the offline plan and the tests share, reads every policy the plans carry,
and its send actions are the ones the package grants."""

from __future__ import annotations

import json

import pulumi_aws as aws

from athenz_ses.policies import SEND_ACTIONS, SMTP_ACTIONS
from offline_plan.engine import reveal, run_program
from policy_pack.policy_reader import POLICY_FIELDS, as_list, documents, parse, send_actions, statements
from policy_pack.policy_reader import SEND_ACTIONS as READER_SEND_ACTIONS

FIELDS = {field for fields in POLICY_FIELDS.values() for field in fields}
POLICY_DOCUMENT = "aws:iam/getPolicyDocument:getPolicyDocument"


def invokes(plan) -> list[str]:
    """The provider functions a plan called, as the offline engine records them."""
    return [token for token, _, _ in plan.calls]


def test_no_plan_renders_a_policy_with_an_invoke(every_plan):
    """Every committed stack (and every scenario): the documents are built in the program
    (athenz_ses/policies.py), so no plan calls aws.iam.getPolicyDocument."""
    assert {name for name in every_plan if name.startswith("stack:")} >= {"stack:dev", "stack:local", "stack:plugin"}
    for name, plan in every_plan.items():
        assert invokes(plan), f"{name}: no invoke recorded at all"  # getCallerIdentity, getPartition, ...
        assert POLICY_DOCUMENT not in invokes(plan), name


def test_the_engine_records_a_policy_document_invoke():
    """What the test above reads does see such an invoke (the plan has no answer for it)."""

    def program() -> None:
        statement = aws.iam.GetPolicyDocumentStatementArgs(actions=["ses:SendEmail"], resources=["arn:aws:ses:x"])
        aws.iam.get_policy_document_output(statements=[statement])

    plan = run_program("invoke", {"aws:region": "eu-west-1"}, program=program)
    assert POLICY_DOCUMENT in invokes(plan)
    assert isinstance(plan.error, Exception) and POLICY_DOCUMENT in str(plan.error)


def test_the_readers_send_actions_are_the_ones_the_package_grants():
    """The pack cannot import the program, so the reader keeps its own case-insensitive
    set: exactly the package's SEND_ACTIONS, SMTP's among them."""
    assert {action.lower() for action in SEND_ACTIONS} == READER_SEND_ACTIONS
    assert {action.lower() for action in SMTP_ACTIONS} <= READER_SEND_ACTIONS


def test_every_policy_field_of_every_plan_is_read(every_plan):
    """A resource that carries a policy field is of a type the reader knows, and the reader
    parses that field: no policy of a plan escapes the pack, the diagram or the tests."""
    read = 0
    for name, plan in every_plan.items():
        for r in plan.resources:
            carried = FIELDS & r.inputs.keys()
            if not carried:
                continue
            assert carried <= set(POLICY_FIELDS.get(r.type, ())), f"{name} {r.name}: {r.type} {sorted(carried)}"
            found = dict(documents(r.type, r.inputs, reveal))
            assert found.keys() == carried, f"{name} {r.name}"
            for field, document in found.items():
                assert document == json.loads(reveal(r.inputs[field]))
                assert document["Version"] == "2012-10-17" and statements(document), f"{name} {r.name}"
                read += 1
    assert read


def test_lists_documents_and_send_actions():
    assert as_list(None) == []
    assert as_list("ses:SendEmail") == ["ses:SendEmail"]
    assert as_list({"AWS": "x"}) == [{"AWS": "x"}]
    assert as_list(["a", "b"]) == ["a", "b"]
    assert parse('{"Version": "2012-10-17", "Statement": []}') == {"Version": "2012-10-17", "Statement": []}
    for not_a_document in (None, "", "not json", "[1]", 3):
        assert parse(not_a_document) is None
    one = {"Effect": "Allow", "Action": "SES:sendEmail"}
    assert statements({"Statement": one}) == [one]
    assert statements({"Statement": [one, "junk"]}) == [one]
    # IAM compares action names case-insensitively; the statement's own spelling is kept.
    assert send_actions(one) == ["SES:sendEmail"]
    assert send_actions({"Action": ["ses:SendRawEmail", "ses:SendEmail", "ses:GetAccount"]}) == [
        "ses:SendEmail",
        "ses:SendRawEmail",
    ]
    assert send_actions({"Action": ["ses:SendBulkEmail"]}) == []


def test_a_secret_field_is_read_only_when_its_wrapper_is_opened():
    text = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"]}]})

    class Wrapped:
        def __init__(self, value: str) -> None:
            self.value = value

    props = {"assumeRolePolicy": Wrapped(text)}
    assert list(documents("aws:iam/role:Role", props)) == []
    assert dict(documents("aws:iam/role:Role", props, lambda v: v.value)) == {"assumeRolePolicy": json.loads(text)}
    assert list(documents("aws:s3/bucket:Bucket", {"policy": text})) == []  # not a type the reader knows
