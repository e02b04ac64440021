"""The generated parts of the documentation site, so that they cannot drift from the code.

MkDocs runs this file as a hook (mkdocs.yml, `hooks:`): in every page, a marker line
`<!-- generated: NAME -->` is replaced by the text of GENERATED[NAME] before the page is
rendered. The pages in the repository keep the marker; the built site has the text.

- `configuration reference`: every key of the stack config, from Pulumi.yaml (`config` and
  `optionalConfig`: type, static default, description), with the allowed values of
  athenz_ses.args and the keys program.settings lets be secrets;
- `error catalogue`: the program's real messages, made by running program.settings over
  CATALOGUE (a bad stack config each), grouped by the key each names; and the component's
  own, made by AthenzSesNotifications over COMPONENT_CATALOGUE;
- `warning catalogue`: the program's warnings, over WARNING_CATALOGUE;
- `dkim regions`: the SES Regions and their Easy DKIM domains, from athenz_ses.ses_endpoints.

`python docs/gen_docs.py NAME` prints one of them. tests/test_docs.py holds the catalogues
to the code: every place that builds an error is reached, each entry fails with its key.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # mkdocs loads this file by path, from its own script
    sys.path.insert(0, str(PROJECT_DIR))

from athenz_ses.args import CHOICES, NOTIFIER_CREDENTIALS  # noqa: E402
from athenz_ses.ses_endpoints import DEFAULT_DKIM_DOMAIN, DKIM_DOMAINS, ses_partitions  # noqa: E402
from program.settings import (  # noqa: E402
    ARG_KEYS,
    PROJECT,
    SECRET_CAPABLE,
    ConfigError,
    ConfigErrors,
    Settings,
    bind_accounts,
    config_schema,
    config_strings,
    load_settings,
)

# The marker, and the visible line under it that says so where the Markdown is read as it
# is (GitHub hides the comment); both are replaced.
MARKER = re.compile(r"^<!-- generated: (?P<name>[a-z ]+) -->(\n_\(Generated when the site is built[^\n]*\)_)?$", re.M)

# --- configuration reference ------------------------------------------------------------

# Keys of the providers' namespaces that the program reads (they are not the project's, so
# Pulumi.yaml does not declare them): key, type, default, description.
PROVIDER_ROWS = (
    (
        "aws:region",
        "string",
        "required",
        "Region of the cluster account (the default AWS provider's), and of SES unless `sesRegion` is set.",
    ),
    (
        "aws:profile",
        "string",
        "unset",
        "AWS profile of the cluster account's credentials; the SES provider uses it too when it has no `sesProfile`.",
    ),
    (
        "aws:allowedAccountIds",
        "list of strings",
        "unset",
        "Recommended: `[<clusterAccountId>]`, so that wrong credentials fail before any change.",
    ),
    (
        "kubernetes:context",
        "string",
        "the kubeconfig's current context",
        "The cluster's kubeconfig context, such as `kind-kind`. A kind context (`kind-...`) refuses EKS Pod Identity.",
    ),
)

# Where a key is explained at length (page, relative to docs/).
SEE: dict[str, str] = {
    "senderEmail": "setups/index.md",
    "recipientEmails": "setups/index.md#which-combinations-deliver-where",
    "sandbox": "setups/index.md#which-combinations-deliver-where",
    "crossAccountMode": "setups/ses-other-account.md",
    "namespace": "what-it-creates.md#the-patch-of-zms",
    "zmsLayout": "what-it-creates.md#the-patch-of-zms",
    "notifier": "setups/index.md#the-built-in-notifier",
    "senderServiceAccounts": "setups/delegated-senders.md",
    "smokeTest": "deploy/smoke-test.md",
    "bounceNotificationEmails": "setups/bounce-handling.md",
    "mailFromSubdomain": "setups/sender-domain.md",
    "accountSuppression": "setups/bounce-handling.md",
    "existingIdentities": "deploy/tear-down.md#keeping-the-identities",
    "retainIdentities": "deploy/tear-down.md#keeping-the-identities",
    "clusterAccountId": "setups/ses-other-account.md",
    "oidcIssuerUrl": "setups/eks-irsa.md",
    "credentials": "setups/index.md",
    "bounceHandling": "setups/bounce-handling.md",
    "senderDomain": "setups/sender-domain.md",
    "hostedZoneId": "setups/sender-domain.md#dns-records",
    "hostedZoneAccountId": "setups/sender-domain.md#dns-records",
    "hostedZoneRoleArn": "setups/sender-domain.md#dns-records",
    "eksClusterName": "setups/eks-pod-identity.md",
    "createOidcProvider": "setups/eks-irsa.md",
    "sesAccountId": "setups/ses-other-account.md",
    "sesRegion": "setups/index.md#the-built-in-notifier",
    "sesRoleArn": "setups/ses-other-account.md",
    "sesProfile": "setups/ses-other-account.md",
    "serviceAccountName": "what-it-creates.md#names",
    "pluginJar": "setups/smtp-plugin.md",
    "pluginFactoryClass": "setups/smtp-plugin.md",
    "zmsRoleArn": "setups/existing-role.md",
    "smokeTestRecipient": "deploy/smoke-test.md",
    "athenzUiUrl": "deploy/index.md",
    "workflowUrl": "deploy/index.md",
    "emailDomainTo": "setups/index.md#the-built-in-notifier",
    "zmsDeployment": "what-it-creates.md#the-patch-of-zms",
    "zmsContainer": "what-it-creates.md#the-patch-of-zms",
}
# "Default: ..." up to the end of its sentence (a dot before a capital letter, or the end).
_DEFAULT = re.compile(r"\s*Default: (?P<default>.+?)(\.(?=\s+[A-Z])|\.?$)")


def _arg(key: str) -> str | None:
    return next((arg for arg, known in ARG_KEYS.items() if known == key), None)


def _type(key: str, spec: Mapping[str, Any]) -> str:
    """The declared type, with the values the component's rules accept."""
    arg = _arg(key)
    if key == "credentials":
        builtin, plugin = NOTIFIER_CREDENTIALS["builtin"], NOTIFIER_CREDENTIALS["plugin"]
        return (
            ", ".join(f"`{c}`" for c in builtin) + " (builtin) or " + ", ".join(f"`{c}`" for c in plugin) + " (plugin)"
        )
    if arg in CHOICES:
        return " or ".join(f"`{choice}`" for choice in CHOICES[arg])
    return "list of strings" if spec["type"] == "array" else str(spec["type"])


def _shown(value: object) -> str:
    return "`[]`" if value == [] else f"`{str(value).lower()}`" if isinstance(value, bool) else f"`{value}`"


def _cell(text: str) -> str:
    """Text for a table cell: `|` escaped, and `<placeholder>` outside code spans shown as
    text (Markdown would take it for an HTML tag)."""
    parts = text.replace("|", "\\|").replace("\n", " ").split("`")
    return "`".join(part if n % 2 else part.replace("<", "&lt;").replace(">", "&gt;") for n, part in enumerate(parts))


def reference_rows(project_file: Path = PROJECT_DIR / "Pulumi.yaml") -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) for every project key, in Pulumi.yaml's order.
    The default is the static one (`config`), else the description's `Default: ...`
    sentence, else "required" for a `config` key without one, else "unset"."""
    project = yaml.safe_load(project_file.read_text())
    rows = []
    for section in ("config", "optionalConfig"):
        for key, spec in project[section].items():
            description = spec["description"].strip()
            found = _DEFAULT.search(description)
            if "default" in spec:
                default = _shown(spec["default"])
            elif found:
                default = found["default"]
                description = (description[: found.start()] + description[found.end() :]).strip()
            else:
                default = "required" if section == "config" else "unset"
            if f"{PROJECT}:{key}" in SECRET_CAPABLE:
                description += " May be a secret."
            rows.append((key, _type(key, spec), default, description))
    return rows


def page_title(page: str) -> str:
    """The first heading of a page of the site (`page` relative to docs/, an anchor allowed)."""
    text = (PROJECT_DIR / "docs" / page.split("#")[0]).read_text()
    return next(line[2:].strip() for line in text.splitlines() if line.startswith("# "))


def config_reference() -> str:
    lines = [
        "| key | type | default | meaning | more |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, kind, default, description in reference_rows():
        more = f"[{page_title(SEE[key])}]({SEE[key]})" if key in SEE else ""
        lines.append(f"| `{key}` | {_cell(kind)} | {_cell(default)} | {_cell(description)} | {more} |")
    lines += [
        "",
        "Keys of the providers' namespaces that the program reads:",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
        *(
            f"| `{key}` | {kind} | {default} | {description}{' May be a secret.' if key in SECRET_CAPABLE else ''} |"
            for key, kind, default, description in PROVIDER_ROWS
        ),
    ]
    return "\n".join(lines)


# --- error and warning catalogues -------------------------------------------------------

CLUSTER, SES, OTHER = "111111111111", "222222222222", "333333333333"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
JAR = "plugin/target/ses-notification-plugin-1.0.0.jar"


_cfg = config_strings  # config strings as the CLI passes them (aws_region is aws:region)


LINKS = _cfg(athenzUiUrl="https://athenz.example.com", workflowUrl="https://athenz.example.com/workflow")
# One good stack config per kind of setup (tests/test_docs.py: each loads without a problem).
BASES: dict[str, dict[str, str]] = {
    "kind, access key": {
        **LINKS,
        **_cfg(
            aws_region="ap-northeast-1",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
    },
    "EKS, IRSA": {
        **LINKS,
        **_cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            oidcIssuerUrl=ISSUER,
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
    },
    "EKS, IRSA, SES in another account": {
        **LINKS,
        **_cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            oidcIssuerUrl=ISSUER,
            sesAccountId=SES,
            sesRoleArn=f"arn:aws:iam::{SES}:role/athenz-ses-deployer",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
    },
    "EKS Pod Identity": {
        **LINKS,
        **_cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            eksClusterName="prod",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
    },
    "existing role": {
        **LINKS,
        **_cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            zmsRoleArn=f"arn:aws:iam::{CLUSTER}:role/zms",
            senderEmail="zms@example.com",
            recipientEmails=["alice@example.com"],
            emailDomainTo="example.com",
        ),
    },
    "SMTP plugin": _cfg(
        aws_region="ap-northeast-1",
        senderEmail="zms@example.com",
        recipientEmails=["alice@example.com"],
        notifier="plugin",
        pluginJar=JAR,
        pluginFactoryClass="com.mlajkim.athenz.AwsSesPlugin",
    ),
    "sender domain": {
        **LINKS,
        **_cfg(
            aws_region="eu-west-1",
            clusterAccountId=CLUSTER,
            eksClusterName="prod",
            sesAccountId=SES,
            sesRoleArn=f"arn:aws:iam::{SES}:role/athenz-ses-deployer",
            senderEmail="athenz@example.com",
            senderDomain="example.com",
            hostedZoneId="Z0EXAMPLE1234567890",
            sandbox=False,
            emailDomainTo="example.com",
        ),
    },
}


@dataclass(frozen=True)
class Case:
    """A stack config that the program refuses (or warns about): `base` changed by `change`
    (None removes a key; keys without a namespace are the project's)."""

    key: str
    """The key the message names (`aws:region`, or a project key without its namespace)."""
    when: str
    """What is wrong, in the reader's words."""
    base: str
    change: Mapping[str, str | None] = field(default_factory=dict)
    fix: str = ""
    secrets: frozenset[str] = frozenset()
    """Keys of `change` (project keys without namespace) that are Pulumi secrets."""
    caller: str | None = None
    """The account of the deploying credentials (default: clusterAccountId, else CLUSTER)."""
    group: str | None = None
    """The heading it is listed under, when not its key."""
    kubernetes_context: str | None = None


TYPOS = "Unknown, retired and misspelled keys"
SECRETS = "Secrets"
CATALOGUE: tuple[Case, ...] = (
    # The stack file's own: keys, secrets, YAML's types.
    Case(
        "sandBox",
        "a key the project does not know",
        "kind, access key",
        {"sandBox": "false"},
        "The message names the closest known key.",
        group=TYPOS,
    ),
    Case(
        "smtpCredentials",
        "a key of an earlier version",
        "SMTP plugin",
        {"smtpCredentials": "true"},
        "Remove it: `pulumi config rm athenz-ses:smtpCredentials`.",
        group=TYPOS,
    ),
    Case(
        "athenz-sess:sandbox",
        "a namespace one edit away from `athenz-ses`",
        "kind, access key",
        {"athenz-sess:sandbox": "false"},
        group=TYPOS,
    ),
    Case(
        "aws:regoin",
        "an `aws:` key the AWS provider does not have",
        "kind, access key",
        {"aws:regoin": "eu-west-1"},
        group=TYPOS,
    ),
    Case(
        "kubernetes:contxt",
        "a `kubernetes:` key the Kubernetes provider does not have",
        "kind, access key",
        {"kubernetes:contxt": "kind-kind"},
        group=TYPOS,
    ),
    Case(
        "senderEmail",
        "a secret where the value names resources",
        "kind, access key",
        {"senderEmail": "zms@example.com"},
        "Set it again without `--secret`.",
        secrets=frozenset({"senderEmail"}),
        group=SECRETS,
    ),
    Case(
        "sesRoleArn",
        "a secret value in a message: it is shown as `[secret]`",
        "EKS, IRSA, SES in another account",
        {"sesRoleArn": f"arn:aws:iam::{OTHER}:role/deployer"},
        secrets=frozenset({"sesRoleArn"}),
        group=SECRETS,
    ),
    Case("aws:region", "not a Region", "kind, access key", {"aws:region": "Europe"}),
    Case("aws:region", "a Region without SES, with no `sesRegion`", "kind, access key", {"aws:region": "cn-north-1"}),
    Case("aws:profile", "not a profile name", "kind, access key", {"aws:profile": "my profile"}),
    Case("clusterAccountId", "not 12 digits", "EKS, IRSA", {"clusterAccountId": "12345678901a"}),
    Case(
        "clusterAccountId",
        "an unquoted id in YAML, read as a number",
        "EKS, IRSA",
        {"clusterAccountId": "2454267026"},
        "Write the id in quotes in the stack file.",
    ),
    Case(
        "clusterAccountId",
        "the deploying credentials belong to another account",
        "EKS, IRSA",
        caller=OTHER,
        fix="Use credentials of the cluster account (`aws:profile`, or the environment).",
    ),
    Case("sesAccountId", "not 12 digits", "EKS, IRSA, SES in another account", {"sesAccountId": "22222222222a"}),
    Case(
        "sesRoleArn",
        "SES in another account and no way to reach it",
        "EKS, IRSA, SES in another account",
        {"sesRoleArn": None},
        "Set `sesRoleArn` (a role in the SES account that the cluster account's credentials may assume) "
        "or `sesProfile`.",
    ),
    Case(
        "sesRoleArn",
        "a role of another account than `sesAccountId`",
        "EKS, IRSA, SES in another account",
        {"sesRoleArn": f"arn:aws:iam::{OTHER}:role/deployer"},
    ),
    Case("sesRoleArn", "not a role ARN", "EKS, IRSA, SES in another account", {"sesRoleArn": "deployer"}),
    Case(
        "sesProfile",
        "both `sesRoleArn` and `sesProfile`",
        "EKS, IRSA, SES in another account",
        {"sesProfile": "ses-admin"},
    ),
    Case("sesRegion", "another partition than `aws:region`'s", "kind, access key", {"sesRegion": "us-gov-west-1"}),
    Case("sesRegion", "a Region without SES", "kind, access key", {"sesRegion": "us-fake-9"}),
    Case(
        "sesRegion",
        "with `zmsRoleArn`, another Region than `aws:region`",
        "existing role",
        {"sesRegion": "us-east-1"},
        "ZMS keeps its own Region with `existing-role`: put SES there.",
    ),
    Case(
        "sesRegion",
        "with a sender domain, a Region whose DKIM domain is not published",
        "sender domain",
        {"sesRegion": "ap-southeast-4"},
        "Send as an address (no `senderDomain`), or use another Region.",
    ),
    Case("senderEmail", "not set", "kind, access key", {"senderEmail": None}),
    Case("senderEmail", "not an address", "kind, access key", {"senderEmail": "zms.example.com"}),
    Case(
        "recipientEmails",
        "not a list",
        "kind, access key",
        {"recipientEmails": "alice@example.com"},
        "Set list items with `--path`: `pulumi config set --path 'athenz-ses:recipientEmails[0]' alice@example.com`.",
    ),
    Case("recipientEmails", "a list of something else than strings", "kind, access key", {"recipientEmails": "[1, 2]"}),
    Case("recipientEmails", "not an address", "kind, access key", {"recipientEmails": '["alice@example"]'}),
    Case(
        "recipientEmails",
        "an address twice",
        "kind, access key",
        {"recipientEmails": '["alice@example.com", "Alice@example.com"]'},
    ),
    Case("recipientEmails", "the sender among them", "kind, access key", {"recipientEmails": '["zms@example.com"]'}),
    Case("sandbox", "not a boolean", "kind, access key", {"sandbox": "yes"}),
    Case("namespace", "not a namespace name", "kind, access key", {"namespace": "Athenz_NS"}),
    Case("zmsLayout", "an unknown layout", "kind, access key", {"zmsLayout": "kustomize"}),
    Case("zmsDeployment", "not an object name", "kind, access key", {"zmsDeployment": "ZMS"}),
    Case("zmsContainer", "not a container name", "kind, access key", {"zmsContainer": "zms.server"}),
    Case("serviceAccountName", "not an object name", "EKS, IRSA", {"serviceAccountName": "ZMS"}),
    Case("notifier", "an unknown notifier", "kind, access key", {"notifier": "sendgrid"}),
    Case("credentials", "an unknown kind of credentials", "kind, access key", {"credentials": "password"}),
    Case("credentials", "the plugin with another send path than SMTP", "SMTP plugin", {"credentials": "access-key"}),
    Case(
        "credentials",
        "EKS Pod Identity on a kind cluster",
        "EKS Pod Identity",
        {"credentials": "pod-identity"},
        "Use `credentials: access-key` on kind.",
        kubernetes_context="kind-kind",
    ),
    Case(
        "eksClusterName",
        "EKS Pod Identity by default (`eksClusterName` set) on a kind cluster",
        "EKS Pod Identity",
        kubernetes_context="kind-kind",
    ),
    Case(
        "eksClusterName",
        "`credentials: pod-identity` without a cluster",
        "EKS Pod Identity",
        {"eksClusterName": None, "credentials": "pod-identity"},
    ),
    Case("eksClusterName", "not an EKS cluster name", "EKS Pod Identity", {"eksClusterName": "-prod"}),
    Case(
        "oidcIssuerUrl",
        "`credentials: irsa` without an issuer",
        "kind, access key",
        {"credentials": "irsa"},
        "On kind there is no issuer: use `access-key`. On EKS: `aws eks describe-cluster --name <cluster> "
        "--query cluster.identity.oidc.issuer --output text`.",
    ),
    Case(
        "oidcIssuerUrl",
        "delegated senders without an issuer (and without Pod Identity)",
        "kind, access key",
        {"senderServiceAccounts": '["mailer/reports"]'},
    ),
    Case(
        "oidcIssuerUrl",
        "not an https:// issuer",
        "EKS, IRSA",
        {"oidcIssuerUrl": "http://oidc.eks.eu-west-1.amazonaws.com/id/X"},
    ),
    Case(
        "zmsRoleArn",
        "`credentials: existing-role` without the role",
        "kind, access key",
        {"credentials": "existing-role"},
    ),
    Case(
        "zmsRoleArn",
        "a role of another account than SES's",
        "existing role",
        {"zmsRoleArn": f"arn:aws:iam::{OTHER}:role/zms"},
    ),
    Case("zmsRoleArn", "not a role ARN", "existing role", {"zmsRoleArn": "zms"}),
    Case(
        "zmsRoleArn",
        "without `clusterAccountId`, a role of another account than the deploying credentials'",
        "existing role",
        {"clusterAccountId": None, "zmsRoleArn": f"arn:aws:iam::{OTHER}:role/zms"},
        "SES is in the credentials' account unless `sesAccountId` says otherwise; the role must be of the SES account.",
    ),
    Case(
        "crossAccountMode", "an unknown mode", "EKS, IRSA, SES in another account", {"crossAccountMode": "assume-role"}
    ),
    Case(
        "crossAccountMode",
        "`sending-authorization` for ZMS's own role (IRSA)",
        "EKS, IRSA, SES in another account",
        {"crossAccountMode": "sending-authorization"},
        "Keep `federated-role` (the default), or give ZMS `credentials: access-key`.",
    ),
    Case(
        "crossAccountMode",
        "`sending-authorization` with EKS Pod Identity",
        "EKS Pod Identity",
        {
            "crossAccountMode": "sending-authorization",
            "sesAccountId": SES,
            "sesRoleArn": f"arn:aws:iam::{SES}:role/athenz-ses-deployer",
        },
    ),
    Case(
        "crossAccountMode",
        "`sending-authorization` for delegated senders of a sender domain",
        "sender domain",
        {
            "crossAccountMode": "sending-authorization",
            "credentials": "access-key",
            "eksClusterName": None,
            "oidcIssuerUrl": ISSUER,
            "senderServiceAccounts": '["mailer/reports"]',
        },
    ),
    Case("senderServiceAccounts", "not `namespace/name`", "EKS, IRSA", {"senderServiceAccounts": '["reports"]'}),
    Case("senderServiceAccounts", "not a list", "EKS, IRSA", {"senderServiceAccounts": "mailer/reports"}),
    Case(
        "senderServiceAccounts",
        "ZMS's own ServiceAccount",
        "EKS, IRSA",
        {"senderServiceAccounts": '["athenz/athenz-ses-dev"]'},
    ),
    Case(
        "senderServiceAccounts",
        "two entries whose roles would share a name",
        "EKS, IRSA",
        {"senderServiceAccounts": '["a-b/c", "a/b-c"]'},
    ),
    Case(
        "emailDomainTo",
        "the built-in notifier without it",
        "kind, access key",
        {"emailDomainTo": None},
        "Set it to your Athenz users' mail domain.",
    ),
    Case("emailDomainTo", "not a domain", "kind, access key", {"emailDomainTo": "example"}),
    Case("athenzUiUrl", "not https://", "kind, access key", {"athenzUiUrl": "http://athenz.example.com"}),
    Case("workflowUrl", "not https://", "kind, access key", {"workflowUrl": "https://athenz.example.com/a b"}),
    Case("pluginJar", "the plugin without a jar", "SMTP plugin", {"pluginJar": None}),
    Case(
        "pluginJar",
        "no such file",
        "SMTP plugin",
        {"pluginJar": "plugin/missing.jar"},
        "Build the plugin first ([The SMTP plugin](../setups/smtp-plugin.md)).",
    ),
    Case(
        "pluginJar",
        "no such file, but its folder holds other jars",
        "SMTP plugin",
        {"pluginJar": "plugin/target/ses-notification-plugin-1.0.O.jar"},
    ),
    Case("pluginJar", "an empty path", "SMTP plugin", {"pluginJar": ""}),
    Case("pluginJar", "a file that is not a jar", "SMTP plugin", {"pluginJar": "plugin/target/notes.jar"}),
    Case("pluginJar", "a jar too large for a ConfigMap", "SMTP plugin", {"pluginJar": "plugin/target/large.jar"}),
    Case(
        "pluginJar",
        "a jar with the built-in notifier",
        "kind, access key",
        {"pluginJar": JAR},
        "Remove it, or set `notifier: plugin`.",
    ),
    Case("pluginFactoryClass", "the plugin without its class", "SMTP plugin", {"pluginFactoryClass": None}),
    Case("pluginFactoryClass", "not a Java class name", "SMTP plugin", {"pluginFactoryClass": "AwsSesPlugin"}),
    Case(
        "smokeTestRecipient",
        "the plugin's smoke test out of the sandbox without a recipient",
        "SMTP plugin",
        {"sandbox": "false", "smokeTest": "true"},
        "The plugin appends its own domain to every recipient: name an address of it.",
    ),
    Case("smokeTestRecipient", "not an address", "kind, access key", {"smokeTestRecipient": "success"}),
    Case("smokeTest", "not a boolean", "kind, access key", {"smokeTest": "yes"}),
    Case(
        "bounceNotificationEmails",
        "operators to mail without bounce handling",
        "kind, access key",
        {"bounceNotificationEmails": '["mail-admins@example.com"]'},
    ),
    Case(
        "bounceNotificationEmails",
        "an address twice",
        "sender domain",
        {"bounceNotificationEmails": '["ops@example.com", "ops@example.com"]'},
    ),
    Case("senderDomain", "not the domain of `senderEmail`", "sender domain", {"senderDomain": "example.org"}),
    Case(
        "senderDomain",
        "in upper case",
        "sender domain",
        {"senderDomain": "Example.com", "senderEmail": "athenz@Example.com"},
    ),
    Case("senderDomain", "not a domain", "sender domain", {"senderDomain": "example"}),
    Case("mailFromSubdomain", "not a DNS label", "sender domain", {"mailFromSubdomain": "mail.from"}),
    Case(
        "hostedZoneId",
        "a hosted zone without a sender domain",
        "kind, access key",
        {"hostedZoneId": "Z0EXAMPLE1234567890"},
    ),
    Case("hostedZoneId", "not a hosted zone id", "sender domain", {"hostedZoneId": "example.com"}),
    Case("hostedZoneAccountId", "without `hostedZoneId`", "kind, access key", {"hostedZoneAccountId": OTHER}),
    Case(
        "hostedZoneRoleArn",
        "a zone in a third account, and no role to reach it",
        "sender domain",
        {"hostedZoneAccountId": OTHER},
    ),
    Case(
        "hostedZoneRoleArn",
        "a role of another account than the zone's",
        "sender domain",
        {"hostedZoneAccountId": OTHER, "hostedZoneRoleArn": f"arn:aws:iam::{SES}:role/dns"},
    ),
    Case(
        "existingIdentities",
        "an identity the stack does not create",
        "kind, access key",
        {"existingIdentities": '["bob@example.com"]'},
    ),
    Case("existingIdentities", "not an address or a domain", "kind, access key", {"existingIdentities": '["zms"]'}),
    Case(
        "existingIdentities",
        "the sender domain, while `hostedZoneId` is set",
        "sender domain",
        {"existingIdentities": '["example.com"]', "bounceHandling": "false"},
    ),
    Case(
        "existingIdentities",
        "the sender, while bounce handling is on",
        "kind, access key",
        {"existingIdentities": '["zms@example.com"]', "bounceHandling": "true"},
        "Adopt it with `bounceHandling: false` first, then turn bounce handling on in the next `pulumi up`.",
    ),
)

# What the component alone can be given (a program's args, not a stack config's keys).
GOOD_ARGS: dict[str, Any] = {
    "sender_email": "zms@example.com",
    "ses_region": "eu-west-1",
    "ses_account_id": CLUSTER,
    "email_domain_to": "example.com",
    "credentials": "irsa",
    "oidc_issuer_url": ISSUER,
}


@dataclass(frozen=True)
class ArgsCase:
    """Args of AthenzSesNotifications (GOOD_ARGS changed; None removes) that it refuses."""

    arg: str
    when: str
    change: Mapping[str, Any] = field(default_factory=dict)
    name: str = "zms-mail"


COMPONENT_CATALOGUE: tuple[ArgsCase, ...] = (
    ArgsCase("name", "a component name that cannot start IAM role and Job names", name="ZMS_Mail"),
    ArgsCase("sender_email", "a required arg missing", {"sender_email": None}),
    ArgsCase("smtp_credentials", "an arg the component does not have", {"smtp_credentials": True}),
    ArgsCase("tags", "more than 50 tags", {"tags": {f"team-{n}": "athenz" for n in range(51)}}),
    ArgsCase("tags", "a tag key AWS keeps for itself", {"tags": {"aws:owner": "athenz"}}),
    ArgsCase("tags", "a tag value AWS refuses", {"tags": {"owner": "athenz#1"}}),
    ArgsCase("iam_path", "not an IAM path", {"iam_path": "athenz"}),
    ArgsCase("permissions_boundary", "not a managed policy ARN", {"permissions_boundary": "boundary"}),
    ArgsCase("name_prefix", "not a DNS label", {"name_prefix": "ZMS"}),
    ArgsCase("name_prefix", "too long for the names made from it", {"name_prefix": "a" * 50}),
    ArgsCase(
        "create_oidc_provider",
        "with `oidc_provider_arn`",
        {"oidc_provider_arn": f"arn:aws:iam::{CLUSTER}:oidc-provider/x", "create_oidc_provider": True},
    ),
    ArgsCase(
        "ses_provider",
        "`cross_account_mode` without the SES account's provider",
        {"cross_account_mode": "federated-role"},
    ),
    ArgsCase("dns_provider", "a DNS provider without a sender domain", {"dns_provider": "a provider"}),
    ArgsCase(
        "dns_provider",
        "a DNS provider without `hosted_zone_id`",
        {"sender_email": "athenz@example.com", "sender_domain": "example.com", "dns_provider": "a provider"},
    ),
    ArgsCase("smtp_host", "not a host name", {"smtp_host": "smtp host"}),
    ArgsCase("smoke_test_sender", "not an address", {"smoke_test_sender": "zms"}),
)

WARNING_CATALOGUE: tuple[Case, ...] = (
    Case("sandbox", "the sandbox, and nobody to mail", "kind, access key", {"recipientEmails": None}),
    Case(
        "recipientEmails",
        "a sandbox recipient outside `emailDomainTo`",
        "kind, access key",
        {"recipientEmails": '["alice@example.org"]'},
    ),
    Case(
        "recipientEmails",
        "recipients out of the sandbox",
        "kind, access key",
        {"sandbox": "false", "bounceHandling": "false"},
    ),
    Case(
        "athenzUiUrl",
        "the built-in notifier without the links of its mails",
        "kind, access key",
        {"athenzUiUrl": None, "workflowUrl": None},
    ),
    Case(
        "crossAccountMode",
        "delegated senders by sending authorization in the sandbox",
        "EKS, IRSA, SES in another account",
        {
            "crossAccountMode": "sending-authorization",
            "credentials": "access-key",
            "senderServiceAccounts": '["mailer/reports"]',
        },
    ),
    Case(
        "bounceHandling",
        "delegated senders by sending authorization and a default configuration set, no smoke test",
        "EKS, IRSA, SES in another account",
        {
            "crossAccountMode": "sending-authorization",
            "credentials": "access-key",
            "senderServiceAccounts": '["mailer/reports"]',
            "sandbox": "false",
            "recipientEmails": None,
        },
    ),
    Case(
        "crossAccountMode",
        "set where no role crosses accounts",
        "kind, access key",
        {"crossAccountMode": "sending-authorization"},
    ),
    Case(
        "createOidcProvider",
        "set where the stack builds no IRSA role",
        "kind, access key",
        {"createOidcProvider": "true"},
    ),
    Case(
        "oidcIssuerUrl",
        "set with EKS Pod Identity",
        "EKS Pod Identity",
        {"oidcIssuerUrl": ISSUER, "credentials": "pod-identity"},
    ),
    Case("eksClusterName", "set with another send path", "EKS, IRSA", {"eksClusterName": "prod"}),
    Case(
        "serviceAccountName",
        "set where ZMS gets no ServiceAccount of the stack",
        "kind, access key",
        {"serviceAccountName": "zms-mail"},
    ),
    Case("accountSuppression", "set without bounce handling", "kind, access key", {"accountSuppression": "false"}),
    Case("mailFromSubdomain", "set without a sender domain", "kind, access key", {"mailFromSubdomain": "mail"}),
)


def _full(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


@contextlib.contextmanager
def project_folder() -> Iterator[Path]:
    """A stand-in project folder with the plugin jars the catalogue names (a valid one, one
    that is not a zip, one over the ConfigMap's limit); messages show it as `<project>`."""
    with tempfile.TemporaryDirectory(prefix="athenz-ses-docs-") as folder:
        target = Path(folder, "plugin", "target")
        target.mkdir(parents=True)
        with zipfile.ZipFile(Path(folder, JAR), "w") as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        (target / "notes.jar").write_text("not a zip archive")
        with (target / "large.jar").open("wb") as large:
            large.truncate(1024 * 1024)
        yield Path(folder)


def _config(case: Case) -> tuple[dict[str, str], frozenset[str]]:
    config = {**BASES[case.base], **{_full(k): v for k, v in case.change.items()}}
    config = {k: v for k, v in config.items() if v is not None}
    if case.kubernetes_context:
        config["kubernetes:context"] = case.kubernetes_context
    return config, frozenset(_full(key) for key in case.secrets)


def settle(case: Case, project_dir: Path) -> Settings:
    """Run the program's checks on the case's config, as `pulumi preview` does before any
    resource: load_settings, then bind_accounts with the deploying credentials' account."""
    config, secrets = _config(case)
    settings = load_settings(config, project_dir, secret_keys=secrets, stack="dev")
    caller = case.caller or config.get(f"{PROJECT}:clusterAccountId") or CLUSTER
    return bind_accounts(settings, caller)


def refusal(case: Case, project_dir: Path) -> ConfigError:
    """The error the case's key gets (a config may break other rules too: only this one is shown)."""
    try:
        settle(case, project_dir)
    except ConfigErrors as errors:
        found = [error for error in errors.errors if error.key == _full(case.key)]
    except ConfigError as error:
        found = [error] if error.key == _full(case.key) else []
    else:
        found = []
    if not found:
        raise AssertionError(f"docs catalogue: {case.when!r} ({case.base}) does not fail on {case.key}")
    return found[0]


def _message(text: str, project_dir: Path) -> str:
    return text.replace(str(project_dir), "<project>")


def component_refusal(case: ArgsCase) -> str:
    """The ArgsError message of AthenzSesNotifications for the case's args."""
    from athenz_ses.args import ArgsError
    from athenz_ses.notifications import AthenzSesNotifications

    args = {**GOOD_ARGS, **case.change}
    try:
        AthenzSesNotifications(case.name, {k: v for k, v in args.items() if v is not None})  # type: ignore[arg-type]
    except ArgsError as error:
        lines = [problem.message() for problem in error.problems if problem.arg == case.arg]
        if lines:
            return f"AthenzSesNotifications: {lines[0]}"
    raise AssertionError(f"docs catalogue: {case.when!r} does not fail on {case.arg}")


def _group_order(key: str) -> int:
    order = [TYPOS, SECRETS, *(k for k, *_ in PROVIDER_ROWS), *config_schema()]
    return order.index(key) if key in order else len(order)


def error_catalogue() -> str:
    groups: dict[str, list[str]] = {}
    with project_folder() as project_dir:
        for case in CATALOGUE:
            error = refusal(case, project_dir)
            entry = [
                f"- **{case.when}** ({case.base}):",
                "",
                "    ```text",
                f"    {_message(str(error), project_dir)}",
                "    ```",
            ]
            if case.fix:
                entry += ["", f"    {case.fix}"]
            groups.setdefault(case.group or _full(case.key), []).append("\n".join([*entry, ""]))
    out = []
    for group in sorted(groups, key=lambda g: _group_order(g.removeprefix(f"{PROJECT}:"))):
        out += [f"### {group if group in (TYPOS, SECRETS) else f'`{group}`'}", "", *groups[group], ""]
    out += [
        "### The component's own args",
        "",
        "A program that uses `AthenzSesNotifications` gets the same words, naming args in snake_case",
        "(`sender_email: ...`), in one `ValueError` (`athenz_ses.args.ArgsError`). These args have no",
        "stack config key, so only a program meets their errors:",
        "",
    ]
    for args_case in COMPONENT_CATALOGUE:
        out += [
            f"- **`{args_case.arg}`: {args_case.when}**:",
            "",
            "    ```text",
            f"    {component_refusal(args_case)}",
            "    ```",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def warnings_of(case: Case, project_dir: Path) -> list[str]:
    """The warnings the case's config gets that name its key."""
    found = [w for w in settle(case, project_dir).warnings() if _full(case.key) in w]
    if not found:
        raise AssertionError(f"docs catalogue: {case.when!r} ({case.base}) gives no warning on {case.key}")
    return found


def warning_catalogue() -> str:
    out = []
    with project_folder() as project_dir:
        for case in WARNING_CATALOGUE:
            out += [f"- **{case.when}** ({case.base}):", ""]
            for warning in warnings_of(case, project_dir):
                out += ["    ```text", f"    {_message(warning, project_dir)}", "    ```", ""]
    return "\n".join(out).rstrip() + "\n"


# --- SES Regions --------------------------------------------------------------------------


def dkim_regions() -> str:
    offered = set(ses_partitions())
    default = sorted(r for r, d in DKIM_DOMAINS.items() if d == DEFAULT_DKIM_DOMAIN and r in offered)
    own = sorted(r for r, d in DKIM_DOMAINS.items() if d not in (None, DEFAULT_DKIM_DOMAIN) and r in offered)
    unknown = sorted(r for r, d in DKIM_DOMAINS.items() if d is None and r in offered)
    return "\n".join(
        [
            f"- `{DEFAULT_DKIM_DOMAIN}`: " + ", ".join(default) + ";",
            "- `dkim.<region>.amazonses.com`: " + ", ".join(own) + ";",
            "- refused with a sender domain (no public source confirms their DKIM domain): " + ", ".join(unknown) + ".",
        ]
    )


# --- the hook -----------------------------------------------------------------------------

GENERATED: dict[str, Callable[[], str]] = {
    "configuration reference": config_reference,
    "error catalogue": error_catalogue,
    "warning catalogue": warning_catalogue,
    "dkim regions": dkim_regions,
}


def expand(markdown: str) -> str:
    """`markdown` with every marker replaced by its generated text."""

    def generated(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATED:
            raise KeyError(f"no generated text named {name!r}: one of {sorted(GENERATED)}")
        return GENERATED[name]()

    return MARKER.sub(generated, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: a page's Markdown, before it is rendered."""
    return expand(markdown)


if __name__ == "__main__":
    print(GENERATED[" ".join(sys.argv[1:])]())
