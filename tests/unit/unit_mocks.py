"""The shared mock of the unit tests: each component built alone under the Pulumi SDK's
documented unit-testing mechanism (`pulumi.runtime.Mocks`, `set_mocks`, `test`).

These are "our own mock" tests, the weakest kind of proof: they show what a component
sends to the engine (which resources, with which inputs, which provider functions it
calls), never what AWS or Kubernetes would do with it. The outputs are plausible
stand-ins (athenz_ses.testing, the package's own mock for programs that use it), not the
providers' answers.

What the SDK's Mocks API does not show: resource options (retain_on_delete,
depends_on, replace_on_changes, ...) never reach `new_resource`. Secret inputs reach it
in the resource protocol's secret envelope (see `revealed`); tests here read through
it and assert nothing about secretness (not public API; other tests cover it).
"""

from __future__ import annotations

from athenz_ses.testing import AthenzSesMocks
from athenz_ses.testing import revealed as revealed  # re-exported: the unit tests read secret inputs with it
from policy_pack.policy_reader import as_list as as_list  # re-exported: the unit tests read values with it
from policy_pack.policy_reader import parse, statements

PROJECT = "athenz-ses"
STACK = "unit"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ISSUER_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ISSUER = f"https://{ISSUER_HOST}"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"


class UnitMocks(AthenzSesMocks):
    """The package's mock (athenz_ses.testing) in the unit tests' account and Region: it
    records every resource and provider-function call, and answers with plausible values.
    A test may set `partition`, `zone_name` (what route53.getZone answers) or `live`."""

    def __init__(self) -> None:
        super().__init__(ACCOUNT, REGION)


def statement(document: str) -> dict:
    """The one statement of a policy document (every document here has one)."""
    parsed = parse(document)
    assert parsed is not None, document
    found = statements(parsed)
    assert len(found) == 1, found
    return dict(found[0])
