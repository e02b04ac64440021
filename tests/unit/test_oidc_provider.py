"""ClusterOidcProvider: the cluster's issuer as an IAM OIDC provider, created or looked up."""

from __future__ import annotations

import pulumi
import pytest

from athenz_ses.oidc_provider import ClusterOidcProvider, ClusterOidcProviderArgs

from .unit_mocks import ACCOUNT, ISSUER, ISSUER_HOST, OIDC_ARN

PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
LOOKUP = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"


def test_create_makes_a_provider_for_the_issuer_with_client_id_sts(mocks):
    arns: list[str] = []

    @pulumi.runtime.test
    def build():
        return ClusterOidcProvider("oidc", ClusterOidcProviderArgs(issuer_url=ISSUER, create=True)).arn.apply(
            arns.append
        )

    build()
    provider = mocks.one(PROVIDER)
    assert provider.inputs["url"] == ISSUER
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert mocks.calls_of(LOOKUP) == []  # created, not looked up
    assert arns == [OIDC_ARN]  # arn is the created provider's


def test_by_default_it_looks_the_provider_up_and_creates_nothing(mocks):
    arns: list[str] = []

    @pulumi.runtime.test
    def build():
        return ClusterOidcProvider("oidc", ClusterOidcProviderArgs(issuer_url=ISSUER)).arn.apply(arns.append)

    build()
    assert mocks.types() == set()  # the looked-up provider is never managed (destroy never deletes it)
    assert [call["url"] for call in mocks.calls_of(LOOKUP)] == [ISSUER]
    assert arns == [f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}"]


@pytest.mark.parametrize("create", [True, False])
@pytest.mark.parametrize("issuer", [ISSUER, ISSUER + "/"], ids=["https", "trailing-slash"])
@pulumi.runtime.test
def test_issuer_host_strips_https(mocks, create, issuer):
    provider = ClusterOidcProvider("oidc", ClusterOidcProviderArgs(issuer_url=issuer, create=create))
    return provider.issuer_host.apply(lambda host: _assert_equal(host, ISSUER_HOST))


@pulumi.runtime.test
def test_issuer_url_may_be_an_output(mocks):
    issuer = pulumi.Output.from_input(ISSUER)
    provider = ClusterOidcProvider("oidc", ClusterOidcProviderArgs(issuer_url=issuer, create=False))
    return pulumi.Output.all(provider.issuer_host, provider.arn).apply(
        lambda values: _assert_equal(values, [ISSUER_HOST, OIDC_ARN])
    )


def _assert_equal(actual, expected) -> None:
    assert actual == expected
