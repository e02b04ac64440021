"""Property tests: hostile config values always end in the ConfigError of their own key
with nothing registered; any configuration within the contract registers and keeps the
stack's invariants (no wildcard, the trust subject, accounts and Regions)."""

from __future__ import annotations

import functools
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import (
    CLUSTER,
    ISSUER,
    PLUGIN_CLASS,
    SES,
    SES_ROLE,
    assert_no_wildcards,
    policy_documents,
    scenario_configs,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from offline_plan.engine import run_program
from program.settings import DEFAULTS, PROJECT, ConfigError, load_settings

# --- hostile values -------------------------------------------------------------------------

# Characters no key accepts anywhere ('$' is left out: Java class names may hold it).
BAD_CHARS = [
    "\x00",
    "\ud800",
    "\udfff",
    " ",
    "\n",
    "\t",
    "\r",
    ";",
    "|",
    "&",
    "`",
    "'",
    '"',
    "\\",
    "<",
    ">",
    "*",
    "?",
    "!",
    "#",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "é",
    "ß",
    "\u0661",
    "\uff11",
    "\u200b",
    "\u202e",
    "\U0001f600",
]
YAML_ODDITIES = [
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "null",
    "Null",
    "~",
    "NULL",
    "1",
    "0",
    "-1",
    "1e3",
    "0x1F",
    "0o17",
    ".inf",
    "-.inf",
    ".nan",
    "TRUE",
    "FALSE",
    "tRuE",
    "2026-11-23",
    "12:30",
    "!!str",
    "&anchor",
    "*alias",
    "- item",
    "{}",
    "[]",
]
ACCOUNT_ODDITIES = [
    "111111111111.0",
    "1.11111111111e+11",
    "1.11111111111E11",
    "-11111111111",
    "+111111111111",
    "1111_1111_1111",
    "0x19debd01c7",
    "١١١١١١١١١١١١",
    "１１１１１１１１１１１１",
    "11111111111",
    "1111111111111",
    " 111111111111",
    "111111111111\n",
]
JSON_ODDITIES = [
    "NaN",
    "Infinity",
    "null",
    "true",
    "{}",
    '{"alice@example.com": 1}',
    "[null]",
    "[1]",
    "[[]]",
    '["alice@example.com",]',
    "['alice@example.com']",
    '"alice@example.com"',
    "alice@example.com",
    '["alice@example.com"] []',
    "[" * 5000 + "]" * 5000,
    '["\\ud800@example.com"]',
    '["alice@example.com\\u0000"]',
    '["alice@example.com", "ALICE@example.com"]',
    '["zms@example.com"]',
    "1" * 5000,
    '["' + "a" * 300 + '@example.com"]',
    '["alice@example.com"',
    "\ufeff[]",
]
SHELL = ["$(reboot)", "`id`", "; rm -rf /", "a && b", "a | b", "../../etc/passwd\x00", "${HOME}", "%s%s%n", "*", "?"]

# A valid value per key (the injection points) and the base every example starts from.
VALID = {
    "aws:region": "eu-west-1",
    "aws:profile": "cluster-admin",
    "clusterAccountId": CLUSTER,
    "oidcIssuerUrl": ISSUER,
    "eksClusterName": "prod-cluster",
    "createOidcProvider": "false",
    "credentials": "smtp",
    "sesAccountId": SES,
    "sesRegion": "us-east-1",
    "sesRoleArn": SES_ROLE,
    "sesProfile": "ses-admin",
    "crossAccountMode": "sending-authorization",
    "senderEmail": "zms@example.com",
    "sandbox": "true",
    "namespace": "athenz",
    "serviceAccountName": "athenz-zms-ses",
    "zmsLayout": "helm",
    "zmsDeployment": "athenz-zms-server",
    "zmsContainer": "athenz-zms-server",
    "notifier": "plugin",
    "pluginFactoryClass": PLUGIN_CLASS,
    "emailDomainTo": "example.org",
    "zmsRoleArn": "arn:aws:iam::111111111111:role/athenz-zms",
    "athenzUiUrl": "https://athenz.example.org",
    "workflowUrl": "https://athenz.example.org/workflow",
    "retainIdentities": "true",
    "bounceHandling": "true",
    "smokeTest": "true",
    "smokeTestRecipient": "ops@example.com",
    "existingIdentities": '["zms@example.com"]',
    "accountSuppression": "false",
    "senderDomain": "example.com",
    "mailFromSubdomain": "ses-feedback",
    "hostedZoneId": "Z0EXAMPLE1234567890",
    "hostedZoneAccountId": "333333333333",
    "hostedZoneRoleArn": "arn:aws:iam::333333333333:role/pulumi-dns",
}
KEYS = sorted([*DEFAULTS, "aws:region", "aws:profile"])
BASE = "cross-sending-authorization"
# Every key in play at once: the base scenario's delegated senders with ZMS on the plugin.
BASE_CHANGES = {
    "notifier": "plugin",
    "credentials": "smtp",
    "pluginFactoryClass": PLUGIN_CLASS,
    # A sender domain whose records go into a zone of a third account.
    "senderDomain": "example.com",
    "hostedZoneId": "Z0EXAMPLE1234567890",
    "hostedZoneAccountId": "333333333333",
    "hostedZoneRoleArn": "arn:aws:iam::333333333333:role/pulumi-dns",
    # A sender domain rules out sending authorization for delegates (the SES guide's advanced
    # sending): they use federated roles.
    "crossAccountMode": "federated-role",
}


# Free-form names: a YAML word such as `on` is a valid name once quoted, so only oddities
# with a character the name may not hold count as hostile for them.
NAME_CHARS = {
    "namespace": r"[a-z0-9-]",
    "zmsContainer": r"[a-z0-9-]",
    "serviceAccountName": r"[a-z0-9.-]",
    "zmsDeployment": r"[a-z0-9.-]",
    "sesProfile": r"[A-Za-z0-9._+=@-]",
    "aws:profile": r"[A-Za-z0-9._+=@-]",
    "eksClusterName": r"[A-Za-z0-9_-]",
    "mailFromSubdomain": r"[a-z0-9-]",
}


def yaml_oddities(key: str, valid: str) -> list[str]:
    chars = NAME_CHARS.get(key)
    return [v for v in YAML_ODDITIES if v != valid and (chars is None or re.sub(chars, "", v))]


def full(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def examples(times: int = 1) -> settings:
    """`times` the example budget of the Hypothesis profile (tests/conftest.py: ci or dev):
    once for a test that runs the program under the mock engine, more for cheaper ones."""
    return settings(max_examples=times * settings().max_examples)  # settings(): the loaded profile


# The strategies are built once (module level, or once per key and jar), not per example:
# Hypothesis validates every new strategy object before its first draw.
KEY = st.sampled_from(KEYS)


def injected(valid: str) -> st.SearchStrategy[str]:
    """The valid value with hostile characters put in somewhere."""
    return st.tuples(st.integers(0, len(valid)), st.lists(st.sampled_from(BAD_CHARS), min_size=1, max_size=3)).map(
        lambda t: valid[: t[0]] + "".join(t[1]) + valid[t[0] :]
    )


@functools.cache
def invalid_values(key: str, jar: str) -> st.SearchStrategy[str]:
    if key in ("recipientEmails", "senderServiceAccounts", "bounceNotificationEmails", "existingIdentities"):
        item = injected("mailer/reports" if key == "senderServiceAccounts" else "alice@example.com").map(
            lambda e: json.dumps([e])
        )
        # The sender may be an operator too; only recipients must not repeat it.
        oddities = [v for v in JSON_ODDITIES if key != "bounceNotificationEmails" or v != '["zms@example.com"]']
        return st.one_of(item, st.sampled_from(oddities + [v for v in YAML_ODDITIES if v != "[]"]), st.just(""))
    valid = jar if key == "pluginJar" else VALID[key]
    families = [
        st.just(""),
        injected(valid),
        st.sampled_from(SHELL).map(lambda s: valid + s),
        st.integers(300, 3000).map(lambda n: valid + "a" * n if key != "pluginJar" else valid + "/" + "a" * n),
        st.sampled_from(yaml_oddities(key, valid)),
        st.text(st.characters(codec="utf-8", exclude_characters="-._/"), min_size=1, max_size=8).map(
            lambda t: "\u00e9" + t
        ),
    ]
    if key.endswith("AccountId"):
        families.append(st.sampled_from(ACCOUNT_ODDITIES))
    return st.one_of(families)


def base_config(jar: Path) -> dict[str, str]:
    changes = {full(k): v for k, v in BASE_CHANGES.items()}
    return {**scenario_configs(jar)[BASE], **changes, full("pluginJar"): str(jar)}


@examples(15)
@given(data=st.data())
def test_hostile_value_is_the_clean_error_of_its_own_key(plugin_jar, data):
    key = data.draw(KEY)
    value = data.draw(invalid_values(key, str(plugin_jar)))
    raw = {**base_config(plugin_jar), full(key): value}
    with pytest.raises(ConfigError) as caught:
        load_settings(raw)
    assert caught.value.key == full(key), str(caught.value)
    assert len(str(caught.value)) < 1000


@examples()
@given(data=st.data())
def test_hostile_value_stops_the_program_before_any_resource(plugin_jar, data):
    key = data.draw(KEY)
    value = data.draw(invalid_values(key, str(plugin_jar)))
    plan = run_program("hostile", {**base_config(plugin_jar), full(key): value})
    assert isinstance(plan.error, ConfigError), repr(plan.error)
    assert plan.error.key == full(key)
    assert plan.resources == []


# --- configurations within the contract ----------------------------------------------------

REGIONS = ["eu-west-1", "us-east-1", "ap-northeast-1", "eu-central-1", "us-gov-west-1"]
DNS_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True)
DNS_SUBDOMAIN = st.lists(DNS_LABEL, min_size=1, max_size=3).map(".".join)
DOMAIN = st.sampled_from(["example.com", "example.org", "mail.example.net"])
EMAIL = st.tuples(st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True), DOMAIN).map("@".join)


@st.composite
def valid_configs(draw, jar: Path) -> dict[str, str]:
    region = draw(st.sampled_from(REGIONS))
    config = {"aws:region": region, f"{PROJECT}:clusterAccountId": CLUSTER}

    def put(key: str, value) -> None:
        if value is not None:
            config[full(key)] = value

    issuer = draw(st.booleans())
    cross = draw(st.booleans())
    notifier = draw(st.sampled_from(["plugin", "builtin", None]))
    if notifier == "plugin":
        credentials = draw(st.sampled_from(["smtp", None]))
    else:
        credentials = draw(st.sampled_from(["irsa", "access-key", None] if issuer else ["access-key", None]))
    zms_irsa = notifier != "plugin" and (credentials == "irsa" or (credentials is None and issuer))
    modes = ["federated-role", None] if zms_irsa and cross else ["federated-role", "sending-authorization", None]
    mode = draw(st.sampled_from(modes))
    put("credentials", credentials)
    sender = draw(EMAIL)
    recipients = draw(
        st.lists(EMAIL, max_size=3, unique_by=str.lower).filter(lambda rs: sender.lower() not in map(str.lower, rs))
    )
    put("oidcIssuerUrl", ISSUER if issuer else None)
    put("createOidcProvider", draw(st.sampled_from(["true", "false", None])) if issuer else None)
    # SES in any Region of the cluster's partition (a stack never spans partitions).
    same_partition = [r for r in REGIONS if r.startswith("us-gov-") == region.startswith("us-gov-")]
    put("sesRegion", draw(st.sampled_from([None, *same_partition])))
    if cross:
        put("sesAccountId", SES)
        via_role = draw(st.booleans())
        put("sesRoleArn", SES_ROLE if via_role else None)
        put("sesProfile", None if via_role else "ses-admin")
    else:
        put("sesAccountId", draw(st.sampled_from([None, CLUSTER])))
    put("crossAccountMode", mode)
    put("notifier", notifier)
    if notifier == "plugin":
        put("pluginJar", str(jar))
        put("pluginFactoryClass", PLUGIN_CLASS)
    put("senderEmail", sender)
    put("recipientEmails", json.dumps(recipients))
    put("sandbox", draw(st.sampled_from(["true", "false", None])))
    namespace, service_account = draw(DNS_LABEL), draw(DNS_SUBDOMAIN)
    put("namespace", namespace)
    put("serviceAccountName", service_account)
    if issuer:
        senders = draw(
            st.lists(st.tuples(DNS_LABEL, DNS_SUBDOMAIN), max_size=2, unique=True).filter(
                lambda pairs: (namespace, service_account) not in pairs
            )
        )
        put("senderServiceAccounts", json.dumps([f"{ns}/{name}" for ns, name in senders]) if senders else None)
    put("zmsDeployment", draw(DNS_SUBDOMAIN.filter(lambda n: len(n) <= 200)))
    put("zmsContainer", draw(DNS_LABEL))
    # The built-in notifier needs it (user.alice -> alice@<domain>); the plugin ignores it.
    put("emailDomainTo", draw(DOMAIN) if notifier != "plugin" else draw(st.one_of(st.none(), DOMAIN)))
    put("retainIdentities", draw(st.sampled_from(["true", "false", None])))
    put("smokeTest", draw(st.sampled_from(["true", "false", None])))
    # Out of the sandbox the plugin's smoke test needs a recipient of its own domain (it never
    # mails the SES mailbox simulator): the contract, not a hostile value.
    plugin_smoke = notifier == "plugin" and config.get(full("smokeTest")) == "true"
    if plugin_smoke and config.get(full("sandbox")) == "false":
        put("smokeTestRecipient", draw(EMAIL))
    return config


SES_ACCOUNT_TYPES = ("aws:sesv2/", "aws:iam/user:", "aws:iam/userPolicy:", "aws:iam/accessKey:")
ROLE_TYPES = ("aws:iam/role:", "aws:iam/rolePolicy:", "aws:iam/openIdConnectProvider:")


@functools.cache
def valid_configs_of(jar: Path) -> st.SearchStrategy[dict[str, str]]:
    return valid_configs(jar)


@examples()
@given(data=st.data())
def test_any_valid_configuration_registers_and_keeps_the_invariants(plugin_jar, data):
    config = data.draw(valid_configs_of(plugin_jar))
    plan = run_program("valid", config)
    assert plan.error is None, repr(plan.error)
    assert plan.resources

    for document in policy_documents(plan):
        assert_no_wildcards(document)

    region = config["aws:region"]
    ses_account = config.get(f"{PROJECT}:sesAccountId", CLUSTER)
    ses_region = config.get(f"{PROJECT}:sesRegion", region)
    role_in_ses = (
        ses_account != CLUSTER and config.get(f"{PROJECT}:crossAccountMode", "federated-role") == "federated-role"
    )
    for r in plan.resources:
        if r.type.startswith(SES_ACCOUNT_TYPES) or r.type == "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy":
            assert (r.location.account, r.location.region) == (ses_account, ses_region), r.name
        elif r.type.startswith(ROLE_TYPES):
            expected = (ses_account, ses_region) if role_in_ses else (CLUSTER, region)
            assert (r.location.account, r.location.region) == expected, r.name

    # Exactly one way for ZMS to authenticate, and a role only for a ServiceAccount that uses it.
    zms_irsa = plan.outputs.get("serviceAccount") is not None
    assert zms_irsa + len(plan.of_type("aws:iam/user:User")) == 1
    senders = json.loads(config.get(f"{PROJECT}:senderServiceAccounts", "[]"))
    accounts = plan.of_type("kubernetes:core/v1:ServiceAccount")
    assert len(accounts) == len(plan.of_type("aws:iam/role:Role")) == zms_irsa + len(senders)
    for sa in (r.inputs["metadata"] for r in accounts):
        (role,) = [
            r
            for r in plan.of_type("aws:iam/role:Role")
            if r.outputs["arn"] == sa["annotations"]["eks.amazonaws.com/role-arn"]
        ]
        (condition,) = [
            st["Condition"]["StringEquals"] for st in json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        ]
        subjects = [v for k, v in condition.items() if k.endswith(":sub")]
        assert subjects in (
            [f"system:serviceaccount:{sa['namespace']}:{sa['name']}"],
            [[f"system:serviceaccount:{sa['namespace']}:{sa['name']}"]],
        )
    if zms_irsa:
        assert (
            plan.outputs["serviceAccount"] == f"{config.get(f'{PROJECT}:namespace', 'athenz')}/"
            f"{config.get(f'{PROJECT}:serviceAccountName', 'athenz-ses-valid')}"
        )
    identity_policies = plan.of_type("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy")
    assert len(identity_policies) == (1 if senders and ses_account != CLUSTER and not role_in_ses else 0)

    retain = config.get(f"{PROJECT}:retainIdentities") == "true"
    identities = plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")
    assert identities and all(r.retain_on_delete == retain for r in identities)
    # With them, what they rest on: the sender domain's MAIL FROM and DNS records, and the
    # configuration set the sender identity names as its default.
    kept_with = [
        *identities,
        *plan.of_type("aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"),
        *plan.of_type("aws:route53/record:Record"),
        *plan.of_type("aws:sesv2/configurationSet:ConfigurationSet"),
    ]
    assert all(r.retain_on_delete == retain for r in kept_with)
    assert not any(r.retain_on_delete for r in plan.resources if r not in kept_with)


@examples(4)
@given(
    name=st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=60).filter(
        lambda n: n not in (".", "..")
    )
)
def test_a_jar_at_an_odd_but_real_path_is_accepted(tmp_path_factory, name):
    """Spaces, quotes, shell metacharacters, Unicode: the path is only opened, never run."""
    jar = tmp_path_factory.mktemp("odd") / f"{name}.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    raw = {**base_config(jar), f"{PROJECT}:pluginJar": str(jar)}
    assert load_settings(raw).args.plugin_jar == str(jar)
