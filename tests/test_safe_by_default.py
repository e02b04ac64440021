"""Safe by default: secrets stay secret, destroy leaves ZMS (and, on request, the SES
identities) whole, and nothing the stack did not create becomes one of its resources."""

from __future__ import annotations

import pytest
import yaml
from conftest import SCENARIOS, SES_ROLE, config_error, walk

from athenz_ses.testing import STOCK, STOCK_FILES
from athenz_ses.zms_wiring import BASE_ENV, LAYOUTS
from offline_plan.engine import Plan, reveal, run_program
from program.settings import SECRET_CAPABLE, ConfigError

PATCH = "kubernetes:apps/v1:DeploymentPatch"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
# What retainIdentities keeps: the identities and what they rest on. A domain's MAIL FROM
# setting and DNS records (SES keeps checking its DKIM records), and the configuration set
# the sender identity names as its default (a retained identity must not name a set that is gone).
RETAINED_WITH_IDENTITIES = (
    IDENTITY,
    "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
    "aws:route53/record:Record",
    "aws:sesv2/configurationSet:ConfigurationSet",
)
CREDENTIALS = ("mock-smtp-password", "mock-secret-access-key")
# The stock Deployments the package's mock reads ZMS as (athenz_ses/stock).
BASE_DEPLOYMENTS = {layout: STOCK / file for layout, file in STOCK_FILES.items()}

# Configurations with secret config values: (base scenario, changes, secret keys).
SECRET_CONFIGS = {
    "secret-role-arn": ("cross-sending-authorization", {}, ("athenz-ses:sesRoleArn",)),
    "secret-ses-profile": ("cross-federated-irsa", {}, ("athenz-ses:sesProfile",)),
    "secret-aws-profile": (
        "same-account-irsa",
        {"athenz-ses:sesRegion": "us-east-1", "aws:profile": "cluster-admin"},
        ("aws:profile",),
    ),
}


def plan_with_secrets(configs, name: str) -> tuple[Plan, dict[str, str]]:
    base, changes, keys = SECRET_CONFIGS[name]
    config = {**configs[base], **changes}
    plan = run_program(name, config, secret_keys=keys)
    assert plan.error is None, plan.error
    return plan, {key: config[key] for key in keys}


def leaks(plan: Plan, secrets: tuple[str, ...]) -> list[str]:
    """Every place where a secret shows in plain text: outputs, logs, non-secret inputs."""
    found = []
    for where, value in [("outputs", plan.outputs)] + [(r.name, r.inputs) for r in plan.resources]:
        for leaf, is_secret in walk(value):
            if not is_secret and any(s in str(leaf) for s in secrets):
                found.append(f"{where}: {leaf}")
    found += [message for _, message in plan.log if any(s in message for s in secrets)]
    return found


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_credential_shows_in_plain_text_anywhere(plans, name):
    assert leaks(plans[name], CREDENTIALS) == []


@pytest.mark.parametrize("name", SECRET_CONFIGS)
def test_secret_config_values_stay_secret(configs, name):
    plan, secrets = plan_with_secrets(configs, name)
    assert leaks(plan, (*CREDENTIALS, *secrets.values())) == []
    # ... and still reach the provider that needs them.
    provider = reveal(plan.one("pulumi:providers:aws").inputs)
    assert all(value in str(provider) for value in secrets.values())


@pytest.mark.parametrize(
    "scenario,key",
    [
        ("cross-sending-authorization", "athenz-ses:senderEmail"),
        ("cross-sending-authorization", "athenz-ses:clusterAccountId"),
        ("cross-sending-authorization", "athenz-ses:senderServiceAccounts"),
        ("kind-smtp", "athenz-ses:pluginFactoryClass"),
    ],
)
def test_a_secret_that_would_leak_is_refused_without_showing_it(configs, scenario, key):
    config = configs[scenario]
    plan = run_program("secret", config, secret_keys=(key,))
    assert isinstance(plan.error, ConfigError) and config_error(plan).key == key
    assert "[secret]" in str(plan.error) and config[key] not in str(plan.error)
    assert key not in SECRET_CAPABLE and plan.resources == []


@pytest.mark.parametrize(
    "role",
    [
        "arn:aws:iam::222222222222:role/bad role",  # a bad value
        "arn:aws:iam::333333333333:role/elsewhere",  # a combination error (found after the credentials)
    ],
)
def test_an_error_about_a_secret_value_does_not_show_it(configs, role):
    config = {**configs["cross-sending-authorization"], "athenz-ses:sesRoleArn": role}
    plan = run_program("secret", config, secret_keys=("athenz-ses:sesRoleArn",))
    assert config_error(plan).key == "athenz-ses:sesRoleArn"
    assert role not in str(plan.error) and "[secret]" in str(plan.error)
    assert plan.resources == []


def test_an_error_about_another_key_hides_a_secret_it_names():
    error = ConfigError("sesAccountId", "222222222222", f"the account of {SES_ROLE}")
    hidden = error.redacted({"athenz-ses:sesRoleArn": SES_ROLE})
    assert SES_ROLE not in str(hidden) and "'222222222222'" in str(hidden)
    assert error.redacted({}) is error


# --- teardown ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_by_default_destroy_deletes_everything_the_stack_made(plans, name):
    assert [r.name for r in plans[name].resources if r.retain_on_delete] == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_retain_identities_keeps_exactly_the_identities_and_what_they_rest_on(configs, name):
    plan = run_program(name, {**configs[name], "athenz-ses:retainIdentities": "true"})
    retained = sorted(r.name for r in plan.resources if r.retain_on_delete)
    assert plan.of_type(IDENTITY) and {r.name for r in plan.of_type(IDENTITY)} <= set(retained)
    assert retained == sorted(r.name for kind in RETAINED_WITH_IDENTITIES for r in plan.of_type(kind))


@pytest.mark.parametrize("name", ["same-account-irsa", "cross-sending-authorization", "cross-federated-irsa"])
def test_oidc_provider_is_a_resource_only_when_the_stack_creates_it(configs, name):
    for create in ("false", "true"):
        plan = run_program(name, {**configs[name], "athenz-ses:createOidcProvider": create})
        lookups = [c for c in plan.calls if c[0].endswith("getOpenIdConnectProvider")]
        if create == "true":
            assert len(plan.of_type(OIDC)) == 1 and lookups == []
        else:
            assert plan.of_type(OIDC) == [] and len(lookups) == 1


def base_deployment(layout: str = "distribution") -> dict:
    return yaml.safe_load(BASE_DEPLOYMENTS[layout].read_text())


HELM_SCENARIOS = ("same-account-irsa", "kind-access-key", "kind-smtp")


@pytest.fixture(scope="module")
def helm_plans(configs) -> dict[str, Plan]:
    """Three send paths with zmsLayout: helm (Athenz's own chart)."""
    out = {}
    for name in HELM_SCENARIOS:
        plan = run_program(name, {**configs[name], "athenz-ses:zmsLayout": "helm"})
        assert plan.error is None, plan.error
        out[name] = plan
    return out


@pytest.mark.parametrize(
    ("layout", "name"), [*(("distribution", n) for n in SCENARIOS), *(("helm", n) for n in HELM_SCENARIOS)]
)
def test_patch_owns_only_fields_the_base_deployment_leaves_unset(plans, helm_plans, layout, name):
    """Server-side apply: on destroy the patch gives up its fields and every field no one
    else owns is removed. So each leaf it sets must be one the base does not set, in the
    distribution's manifests and in Athenz's chart alike."""
    base = base_deployment(layout)
    plan = plans[name] if layout == "distribution" else helm_plans[name]
    patch = reveal(plan.one(PATCH).inputs)
    assert (patch["metadata"]["name"], patch["metadata"]["namespace"]) == (
        base["metadata"]["name"],
        base["metadata"]["namespace"],
    )
    assert set(patch["metadata"].get("annotations", {})).isdisjoint(base["metadata"].get("annotations", {}))
    assert set(patch["spec"]) == {"template"}

    template, base_template = patch["spec"]["template"], base["spec"]["template"]
    assert set(template["metadata"]) == {"annotations"}
    assert set(template["metadata"]["annotations"]).isdisjoint(base_template["metadata"].get("annotations", {}))

    pod, base_pod = template["spec"], base_template["spec"]
    scalars = set(pod) - {"containers", "volumes"}
    assert scalars.isdisjoint(base_pod), scalars & set(base_pod)
    base_volumes = {v["name"] for v in base_pod.get("volumes", [])}
    assert {v["name"] for v in pod.get("volumes", [])}.isdisjoint(base_volumes)

    (container,) = pod["containers"]
    (base_container,) = [c for c in base_pod["containers"] if c["name"] == container["name"]]
    assert set(container) - {"name", "env", "volumeMounts"} == set()
    assert {e["name"] for e in container["env"]}.isdisjoint(e["name"] for e in base_container["env"])
    # Nor what the image sets (Athenz's image: JAVA_OPTS, USER_CLASSPATH, ... in its Dockerfile).
    assert {e["name"] for e in container["env"]}.isdisjoint(LAYOUTS[layout].base_env)
    mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
    base_mounts = {m["mountPath"] for m in base_container.get("volumeMounts", [])}
    assert mounts.isdisjoint(base_mounts)
    # ... and none of them lands inside a directory the base mounts (read-only config).
    assert not any(m.startswith(b.rstrip("/") + "/") for m in mounts for b in base_mounts)
    if mounts:
        # The jar lands where ZMS's USER_CLASSPATH looks for jars.
        classpath = LAYOUTS[layout].user_classpath
        assert all(m.rsplit("/", 1)[0] + "/*" in classpath.split(":") for m in mounts)


def test_the_layouts_are_the_fixtures():
    """The distribution's USER_CLASSPATH and env are its manifest's; the chart's env and
    Deployment and container names are its rendered manifest's."""
    for layout_name, layout in LAYOUTS.items():
        base = base_deployment(layout_name)
        (container,) = [c for c in base["spec"]["template"]["spec"]["containers"] if c["name"] == layout.container]
        assert base["metadata"]["name"] == layout.deployment
        assert {e["name"] for e in container["env"]} <= set(layout.base_env)
    (distribution,) = base_deployment()["spec"]["template"]["spec"]["containers"]
    (classpath,) = [e["value"] for e in distribution["env"] if e["name"] == "USER_CLASSPATH"]
    assert classpath == LAYOUTS["distribution"].user_classpath


def test_base_deployment_fixture_is_the_one_the_stack_defaults_to(plans):
    base = base_deployment()
    assert "serviceAccountName" not in base["spec"]["template"]["spec"]
    env = [e["name"] for e in base["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert env == list(BASE_ENV)
    assert {reveal(p.one(PATCH).inputs)["metadata"]["name"] for p in plans.values()} == {base["metadata"]["name"]}
