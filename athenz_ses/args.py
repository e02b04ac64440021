"""The args of AthenzSesNotifications: every default and every rule, once.

`resolve(args)` applies the defaults (the field defaults of `ResolvedArgs` are the only
ones: the repository's Pulumi.yaml is tested against them). `problems(resolved)` lists
every rule the values break, as data: a `Problem` names the arg, its value and what is
expected. The component raises them as one ValueError; the repository's program reports
the same problems under its config keys (program/settings.py maps one to the other), so
the same bad value reads the same in both. In `expected`, `{other_arg}` names another arg,
and each reader prints it in its own words (`sender_domain`, or `athenz-ses:senderDomain`).

What only a stack file has (unknown keys, YAML's types, secrets, the accounts its
credentials reach, paths relative to the project) is the program's own.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from athenz_ses import patterns
from athenz_ses.names import DEFAULT_COMPONENT_NAME, colliding_senders, stack_prefix
from athenz_ses.patterns import Problem
from athenz_ses.ses_endpoints import dkim_problem, ses_partitions
from athenz_ses.ses_identities import MAIL_FROM_SUBDOMAIN
from athenz_ses.zms_wiring import JAR_EXPECTED, LAYOUTS, MAX_NAME_PREFIX, limit_problems

BUILTIN = "builtin"
PLUGIN = "plugin"
IRSA = "irsa"
POD_IDENTITY = "pod-identity"
ACCESS_KEY = "access-key"
EXISTING_ROLE = "existing-role"
SMTP = "smtp"
FEDERATED_ROLE = "federated-role"
SENDING_AUTHORIZATION = "sending-authorization"
NOTIFIER_CREDENTIALS = {BUILTIN: (IRSA, POD_IDENTITY, ACCESS_KEY, EXISTING_ROLE), PLUGIN: (SMTP,)}
ROLE_CREDENTIALS = (IRSA, POD_IDENTITY)  # ZMS runs as a ServiceAccount of the stack, with a role
CROSS_ACCOUNT_MODES = (FEDERATED_ROLE, SENDING_AUTHORIZATION)
REQUIRED = ("sender_email", "ses_region", "ses_account_id")
# An issuer with or without https:// (an EKS cluster's, or an IAM OIDC provider's URL as
# pulumi-eks gives it); IAM takes URLs of at most 255 characters.
ISSUER = re.compile(r"(?=.{1,255}\Z)(https://)?(" + patterns.DOMAIN.pattern + r")(:[0-9]{1,5})?(/[A-Za-z0-9._-]+)*/?")
ACCOUNT_ID = re.compile(r"[0-9]{12}")
HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")  # as the Route 53 console and API show it


@dataclass(frozen=True, kw_only=True)
class ResolvedArgs:
    """The args with every default applied: what the component works with. The field
    docs are AthenzSesNotificationsArgs'."""

    sender_email: str
    ses_region: str
    ses_account_id: pulumi.Input[str]
    email_domain_to: str | None = None
    athenz_ui_url: str | None = None
    workflow_url: str | None = None
    recipient_emails: tuple[str, ...] = ()
    sandbox: bool = True
    namespace: str = "athenz"
    zms_layout: str = "distribution"
    zms_deployment: str | None = None
    zms_container: str | None = None
    notifier: str = BUILTIN
    credentials: str | None = None  # by the send path the other args name: see `resolve`
    zms_role_arn: pulumi.Input[str] | None = None
    eks_cluster_name: pulumi.Input[str] | None = None
    oidc_issuer_url: pulumi.Input[str] | None = None
    oidc_provider_arn: pulumi.Input[str] | None = None
    create_oidc_provider: bool | None = None
    service_account_name: str | None = None
    cross_account_mode: str | None = None
    ses_provider: Any = None  # an aws.Provider
    sender_service_accounts: tuple[str, ...] = ()
    plugin_jar: str | None = None
    plugin_factory_class: str | None = None
    smtp_host: str | None = None
    smoke_test_sender: str | None = None
    smoke_test: bool = False
    smoke_test_recipient: str | None = None
    retain_identities: bool = False
    existing_identities: tuple[str, ...] = ()
    bounce_handling: bool | None = None  # on out of the sandbox
    bounce_notification_emails: tuple[str, ...] = ()
    account_suppression: bool = True
    sender_domain: str | None = None
    mail_from_subdomain: str = MAIL_FROM_SUBDOMAIN
    hosted_zone_id: pulumi.Input[str] | None = None
    dns_provider: Any = None  # an aws.Provider
    name_prefix: str | None = None  # <component name>-<stack>: see with_name_prefix
    upgrade_aliases: bool = False
    tags: Mapping[str, str] | None = None
    permissions_boundary: pulumi.Input[str] | None = None
    iam_path: str | None = None


FIELDS = {field.name: field for field in dataclasses.fields(ResolvedArgs)}
# The static defaults (None: unset, or derived from other args by `resolve`).
DEFAULTS: dict[str, Any] = {
    name: field.default for name, field in FIELDS.items() if field.default not in (dataclasses.MISSING, None)
}


class ArgsError(ValueError):
    """The component's args break these rules (`problems`), one line each in the message."""

    def __init__(self, component: str, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{component}: " + "; ".join(problem.message() for problem in problems))


class Unknown:
    """A value not known when the args are checked (as an Output's): the rules that need it wait."""

    def __repr__(self) -> str:
        return "(known later)"


UNKNOWN = Unknown()


def default_credentials(notifier: str, zms_role_arn: object, oidc_issuer_url: object, eks_cluster_name: object) -> str:
    """smtp with the plugin; else existing-role with zms_role_arn, irsa with an issuer,
    pod-identity with an EKS cluster name, else access-key (kind)."""
    if notifier == PLUGIN:
        return SMTP
    if zms_role_arn is not None:
        return EXISTING_ROLE
    if oidc_issuer_url is not None:
        return IRSA
    return POD_IDENTITY if eks_cluster_name is not None else ACCESS_KEY


def resolve(args: Mapping[str, Any]) -> tuple[ResolvedArgs | None, list[Problem]]:
    """The args with their defaults (unset or None keys take them), or the unknown and
    missing args."""
    given = {key: value for key, value in args.items() if value is not None}
    found = [Problem(key, args[key], "no such arg") for key in sorted(set(args) - set(FIELDS))]
    found += [Problem(key, None, f"{SHAPES[key][1]} (required)") for key in REQUIRED if key not in given]
    if found:
        return None, found
    values = {key: given[key] for key in FIELDS if key in given}
    for key in ("recipient_emails", "sender_service_accounts", "bounce_notification_emails", "existing_identities"):
        if isinstance(values.get(key), Sequence) and not isinstance(values[key], str):
            values[key] = tuple(values[key])
    if "plugin_jar" in values:
        values["plugin_jar"] = str(values["plugin_jar"])
    resolved = ResolvedArgs(**values)
    credentials = resolved.credentials
    if credentials is None:
        credentials = default_credentials(
            resolved.notifier, resolved.zms_role_arn, resolved.oidc_issuer_url, resolved.eks_cluster_name
        )
    bounces = not resolved.sandbox if resolved.bounce_handling is None else resolved.bounce_handling
    return dataclasses.replace(resolved, credentials=credentials, bounce_handling=bounces), []


def zms_service_account(args: ResolvedArgs) -> str:
    """The ServiceAccount created for ZMS (irsa, pod-identity): service_account_name, else the
    name prefix (which with_name_prefix gives every args)."""
    assert args.name_prefix is not None, "with_name_prefix first"
    return args.service_account_name or args.name_prefix


def with_name_prefix(args: ResolvedArgs, component: str, stack: str) -> ResolvedArgs:
    """The last default: name_prefix `<component>-<stack>` (`athenz-ses-<stack>`, earlier
    versions' prefix, with upgrade_aliases); `component` must be a name component_name_problems
    takes."""
    if args.name_prefix is not None:
        return args
    base = DEFAULT_COMPONENT_NAME if args.upgrade_aliases else component
    return dataclasses.replace(args, name_prefix=stack_prefix(stack, base))


def problems(args: ResolvedArgs) -> list[Problem]:
    """Every rule these args break (empty: fine); `args` has its name prefix (with_name_prefix).
    Values that are not plain yet (Outputs, UNKNOWN) are checked where they are used."""
    return [
        *_tags(args.tags),
        *_shapes(args),
        *_send_path(args),
        *_identities(args),
        *_plugin(args),
    ]


# Every value that lands in a -D flag of ZMS, an object name, an ARN or a Region: the arg,
# its pattern and the words of what is expected.
EMAIL = (patterns.EMAIL, "an email address such as zms@example.com")
SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "sender_email": EMAIL,
    "recipient_emails": (patterns.EMAIL, 'a list of email addresses, such as ["alice@example.com"]'),
    "bounce_notification_emails": (patterns.EMAIL, 'a list of email addresses, such as ["mail-admins@example.com"]'),
    "smoke_test_sender": EMAIL,
    "smoke_test_recipient": EMAIL,
    "email_domain_to": (patterns.DOMAIN, "a mail domain such as example.com"),
    "athenz_ui_url": (patterns.HTTPS_URL, "an https:// URL such as https://athenz.example.com"),
    "workflow_url": (patterns.HTTPS_URL, "an https:// URL such as https://athenz.example.com/workflow"),
    "plugin_factory_class": (
        patterns.JAVA_CLASS,
        "the plugin's fully qualified NotificationServiceFactory class, such as com.mlajkim.athenz.AwsSesPlugin",
    ),
    "ses_region": (patterns.REGION, "an AWS Region where SES is offered, such as eu-west-1"),
    "smtp_host": (patterns.DOMAIN, "a host name"),
    "namespace": (
        patterns.DNS_LABEL,
        "a Kubernetes namespace name (a DNS label: lower case letters, digits and '-', at most 63)",
    ),
    "zms_container": (patterns.DNS_LABEL, "a container name (a DNS label)"),
    "zms_deployment": (
        patterns.DNS_SUBDOMAIN,
        "a Kubernetes object name (a DNS subdomain: lower case letters, digits, '-' and '.', at most 253)",
    ),
    "service_account_name": (
        patterns.DNS_SUBDOMAIN,
        "a Kubernetes object name (a DNS subdomain: lower case letters, digits, '-' and '.', at most 253)",
    ),
    "name_prefix": (patterns.DNS_LABEL, f"a DNS label of at most {MAX_NAME_PREFIX} characters"),
    "sender_domain": (patterns.DOMAIN, "a mail domain such as example.com, in lower case"),
    "mail_from_subdomain": (patterns.DNS_LABEL, "a DNS label (lower case letters, digits and '-'), such as bounce"),
    "zms_role_arn": (patterns.ROLE_ARN, "the ARN of the IAM role ZMS already runs as"),
    "iam_path": (patterns.IAM_PATH, "an IAM path: '/' or '/<path>/', at most 512 characters"),
    "permissions_boundary": (patterns.POLICY_ARN, "a managed policy ARN (the permissions boundary)"),
    "eks_cluster_name": (patterns.EKS_CLUSTER_NAME, "an EKS cluster name (letters, digits, '-' and '_', at most 100)"),
    "oidc_issuer_url": (
        ISSUER,
        "the cluster's OIDC issuer, such as https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE (https:// optional)",
    ),
    "ses_account_id": (ACCOUNT_ID, "a 12-digit AWS account id"),
    "hosted_zone_id": (HOSTED_ZONE_ID, "a Route 53 hosted zone id such as Z0EXAMPLE"),
    "existing_identities": (
        re.compile(f"{patterns.EMAIL.pattern}|{patterns.DOMAIN.pattern}"),
        "a list of SES identities that exist already: email addresses or a domain",
    ),
    "sender_service_accounts": (
        patterns.SERVICE_ACCOUNT,
        'a list of "namespace/name" ServiceAccounts of other workloads, such as ["mailer/reports"] (namespace a '
        "DNS label, name a DNS subdomain)",
    ),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "notifier": tuple(NOTIFIER_CREDENTIALS),
    "zms_layout": tuple(LAYOUTS),
    "cross_account_mode": CROSS_ACCOUNT_MODES,
}


def _plain(value: object) -> bool:
    return isinstance(value, str)


def _tags(tags: Mapping[str, str] | None) -> list[Problem]:
    """What AWS would refuse in `tags` (IAM, SES, SNS and EKS take the same)."""
    if not tags:
        return []
    found = [Problem("tags", len(tags), f"at most {patterns.MAX_TAGS} tags")] if len(tags) > patterns.MAX_TAGS else []
    for key, value in tags.items():
        if not isinstance(key, str) or not patterns.TAG_KEY.fullmatch(key) or key.lower().startswith("aws:"):
            found.append(
                Problem("tags", key, "tag keys of 1 to 128 letters, digits, spaces and _.:/=+-@, not starting aws:")
            )
        if not isinstance(value, str) or not patterns.TAG_VALUE.fullmatch(value):
            found.append(Problem("tags", value, "tag values of at most 256 letters, digits, spaces and _.:/=+-@"))
    return found


def _shapes(args: ResolvedArgs) -> list[Problem]:
    found = []
    for arg, (pattern, expected) in SHAPES.items():
        value = getattr(args, arg)
        for item in value if isinstance(value, tuple) else (value,):
            if _plain(item) and not pattern.fullmatch(item):
                found.append(Problem(arg, item, expected))
                break
    for arg, choices in CHOICES.items():
        value = getattr(args, arg)
        if value is not None and value not in choices:
            found.append(Problem(arg, value, "one of " + ", ".join(choices)))
    if patterns.REGION.fullmatch(args.ses_region) and args.ses_region not in ses_partitions():
        found.append(
            Problem(
                "ses_region",
                args.ses_region,
                f"an AWS Region where SES is offered, such as eu-west-1; SES is not offered in {args.ses_region} "
                "(botocore's endpoint data)",
            )
        )
    if args.name_prefix is not None:
        found += limit_problems(args.name_prefix, None, None)
    for arg in ("recipient_emails", "bounce_notification_emails"):
        addresses = [address.lower() for address in getattr(args, arg)]
        doubles = sorted({address for address in addresses if addresses.count(address) > 1})
        if doubles:
            found.append(Problem(arg, doubles[0], "each address once"))
    return found


def _send_path(args: ResolvedArgs) -> list[Problem]:
    """The notifier, its credentials and what each send path needs."""
    found = []
    credentials = args.credentials
    if args.notifier == PLUGIN and credentials != SMTP:
        found.append(
            Problem(
                "credentials",
                credentials,
                f"{SMTP} (or unset) with notifier={PLUGIN}: the plugin sends over SMTP with an SMTP password",
            )
        )
    elif args.notifier == BUILTIN and credentials not in NOTIFIER_CREDENTIALS[BUILTIN]:
        found.append(Problem("credentials", credentials, "one of " + ", ".join(NOTIFIER_CREDENTIALS[BUILTIN])))
    if (credentials == EXISTING_ROLE) != (args.zms_role_arn is not None):
        found.append(
            Problem(
                "zms_role_arn",
                args.zms_role_arn,
                f"the role ZMS already runs as with credentials={EXISTING_ROLE}, and unset otherwise"
                + (
                    ""
                    if credentials == EXISTING_ROLE
                    else f" (credentials={credentials} gives ZMS credentials of the stack's own)"
                ),
            )
        )
    elif (
        _plain(args.zms_role_arn)
        and patterns.ROLE_ARN.fullmatch(str(args.zms_role_arn))
        and _plain(args.ses_account_id)
        and str(args.zms_role_arn).split(":")[4] != args.ses_account_id
    ):
        found.append(
            Problem(
                "zms_role_arn",
                args.zms_role_arn,
                f"a role of the SES account {args.ses_account_id} (the built-in notifier sends with ZMS's own "
                "credentials and cannot use sending authorization)",
            )
        )
    pod_identity = credentials == POD_IDENTITY
    if pod_identity and args.eks_cluster_name is None:
        found.append(
            Problem(
                "eks_cluster_name",
                None,
                f"the EKS cluster ZMS runs on with credentials={POD_IDENTITY} (the association names it)",
            )
        )
    if credentials == IRSA and args.oidc_issuer_url is None:
        found.append(
            Problem(
                "oidc_issuer_url",
                None,
                f"the cluster's OIDC issuer with credentials={IRSA} "
                f"(or credentials={ACCESS_KEY} where there is none, as on kind)",
            )
        )
    elif args.sender_service_accounts and not pod_identity and args.oidc_issuer_url is None:
        found.append(
            Problem(
                "oidc_issuer_url",
                None,
                "the cluster's OIDC issuer with {sender_service_accounts}: delegated senders get IRSA roles "
                f"(or EKS Pod Identity with credentials={POD_IDENTITY})",
            )
        )
    if args.oidc_provider_arn is not None and args.create_oidc_provider:
        found.append(
            Problem(
                "create_oidc_provider",
                args.create_oidc_provider,
                "to be unset with {oidc_provider_arn} (the given provider is used as is)",
            )
        )
    if args.cross_account_mode and args.ses_provider is None:
        found.append(Problem("ses_provider", None, "the SES account's provider when SES is in another account"))
    if args.cross_account_mode == SENDING_AUTHORIZATION and credentials in ROLE_CREDENTIALS:
        where = "live in" if credentials == IRSA else "chain into a target role of"
        found.append(
            Problem(
                "cross_account_mode",
                args.cross_account_mode,
                f"{FEDERATED_ROLE} with notifier={BUILTIN} and credentials={credentials}: the built-in "
                f"notifier cannot name a source identity ARN, so its role must {where} the SES account "
                f"(or use credentials={ACCESS_KEY})",
            )
        )
    if (
        args.sender_domain is not None
        and args.cross_account_mode == SENDING_AUTHORIZATION
        and args.sender_service_accounts
    ):
        found.append(
            Problem(
                "cross_account_mode",
                args.cross_account_mode,
                f"{FEDERATED_ROLE} with {{sender_domain}} and {{sender_service_accounts}}: the SES guide counts "
                "delegate sending from an address that only its domain verifies as advanced sending, which needs "
                "an identity of the address itself (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html)",
            )
        )
    zms = f"{args.namespace}/{zms_service_account(args)}"
    senders = list(args.sender_service_accounts)
    if credentials in ROLE_CREDENTIALS and zms in senders:
        found.append(
            Problem(
                "sender_service_accounts",
                zms,
                "ServiceAccounts of other workloads, not ZMS's own (it has its role already)",
            )
        )
    doubles = [entry for entry in senders if senders.count(entry) > 1]
    collisions = colliding_senders(senders)
    if doubles or collisions:
        found.append(
            Problem(
                "sender_service_accounts",
                ", ".join(dict.fromkeys([*doubles, *collisions])),
                "each ServiceAccount once, each with a role of its own name (these would share one)",
            )
        )
    return found


def _identities(args: ResolvedArgs) -> list[Problem]:
    """The SES identities: the sender (address or domain), recipients, what is adopted, DNS."""
    found = []
    sender = args.sender_email.lower()
    if any(recipient.lower() == sender for recipient in args.recipient_emails):
        found.append(
            Problem(
                "recipient_emails",
                args.sender_email,
                "each address once, and not the {sender_email} (it is verified already)",
            )
        )
    if args.bounce_notification_emails and not args.bounce_handling:
        found.append(
            Problem(
                "bounce_notification_emails",
                json.dumps(list(args.bounce_notification_emails)),
                "to be empty without {bounce_handling}: there is no bounce topic to subscribe to",
            )
        )
    domain = args.sender_domain
    if domain is not None and patterns.DOMAIN.fullmatch(domain):
        if domain != domain.lower():
            found.append(
                Problem("sender_domain", domain, "the domain in lower case (it names the identity and records)")
            )
        elif patterns.EMAIL.fullmatch(args.sender_email) and sender.rpartition("@")[2] != domain:
            found.append(
                Problem(
                    "sender_domain",
                    domain,
                    f"the domain of {{sender_email}} ({sender.rpartition('@')[2]}): SES sends as the domain identity",
                )
            )
        if args.ses_region in ses_partitions() and dkim_problem(args.ses_region):
            found.append(
                Problem("ses_region", args.ses_region, f"with {{sender_domain}}: {dkim_problem(args.ses_region)}")
            )
    if domain is None:
        found += [
            Problem(arg, value, "to be unset without {sender_domain}")
            for arg, value in (("hosted_zone_id", args.hosted_zone_id), ("dns_provider", args.dns_provider))
            if value is not None
        ]
    if args.dns_provider is not None and args.hosted_zone_id is None and domain is not None:
        found.append(Problem("dns_provider", args.dns_provider, "to be unset without {hosted_zone_id}"))
    found += _existing(args)
    return found


def _existing(args: ResolvedArgs) -> list[Problem]:
    """Identities adopted instead of created."""
    if not args.existing_identities:
        return []
    found = []
    if not all(SHAPES["existing_identities"][0].fullmatch(e) for e in args.existing_identities):
        return []  # _shapes names it
    sender_identity = (args.sender_domain or args.sender_email).lower()
    created = {sender_identity, *(r.lower() for r in (args.recipient_emails if args.sandbox else ()))}
    strangers = [e for e in args.existing_identities if e.lower() not in created]
    if strangers:
        found.append(
            Problem(
                "existing_identities",
                json.dumps(strangers),
                "identities the stack creates: the sender's address (or {sender_domain}) and, in the sandbox, "
                "{recipient_emails}",
            )
        )
    sender_adopted = sender_identity in {e.lower() for e in args.existing_identities}  # SES ignores the case
    if args.sender_domain and args.hosted_zone_id is not None and sender_adopted:
        found.append(
            Problem(
                "existing_identities",
                sender_identity,
                "without the domain while {hosted_zone_id} is set: an adopted domain has its DNS records already, "
                "and Route 53 refuses to create them again; adopt it without {hosted_zone_id}",
            )
        )
    if args.bounce_handling and sender_adopted:
        found.append(
            Problem(
                "existing_identities",
                sender_identity,
                "without the sender while {bounce_handling} is on: an import must match the live identity, which "
                "has no default configuration set yet; adopt it with bounce handling off, then turn bounce handling "
                "on in the next pulumi up",
            )
        )
    return found


def _plugin(args: ResolvedArgs) -> list[Problem]:
    """The plugin's jar and class (notifier=plugin) and what only it uses."""
    found = []
    if args.notifier not in NOTIFIER_CREDENTIALS:
        return found  # _shapes names it
    if args.notifier == PLUGIN:
        if args.plugin_jar is None:
            found.append(Problem("plugin_jar", None, JAR_EXPECTED))
        else:
            found += jar_problems(Path(args.plugin_jar))
        if args.plugin_factory_class is None:
            found.append(Problem("plugin_factory_class", None, SHAPES["plugin_factory_class"][1]))
        if args.smoke_test and not args.sandbox and args.smoke_test_recipient is None:
            found.append(
                Problem(
                    "smoke_test_recipient",
                    None,
                    "an address of the plugin's recipient domain with {smoke_test} and the plugin out of the sandbox "
                    "(the plugin mails <name>@<its own domain>, never the SES mailbox simulator)",
                )
            )
    else:
        found += [
            Problem(arg, value, f"to be unset with notifier={args.notifier}: only the plugin uses it")
            for arg in ("plugin_jar", "plugin_factory_class", "smtp_host", "smoke_test_sender")
            if (value := getattr(args, arg)) is not None
        ]
    if args.notifier == BUILTIN and not args.email_domain_to:
        found.append(
            Problem(
                "email_domain_to",
                args.email_domain_to,
                f"the mail domain of your Athenz users with notifier={BUILTIN}: ZMS mails user.alice at "
                "alice@<this domain>, and without it at alice@null",
            )
        )
    return found


def jar_problems(path: Path) -> list[Problem]:
    """The jar must be a file the ConfigMap can carry."""
    try:
        size = path.stat().st_size if path.is_file() else None
    except (OSError, ValueError):
        size = None
    if size is None:
        return [Problem("plugin_jar", str(path), f"{JAR_EXPECTED}; no such file: build the plugin first")]
    return limit_problems("", str(path), size)


def irsa_roles(args: ResolvedArgs) -> bool:
    """Does the component create any IRSA role (ZMS's, or a delegated sender's)?"""
    return args.credentials != POD_IDENTITY and (args.credentials == IRSA or bool(args.sender_service_accounts))


def unused(args: ResolvedArgs, given: set[str]) -> list[Problem]:
    """Args given (`given`: their names) that this send path does not use: the component
    ignores them, and says so (`expected` is why they have no effect)."""
    credentials = args.credentials
    found = [
        Problem(arg, getattr(args, arg), why)
        for arg, applies, why in (
            ("create_oidc_provider", not irsa_roles(args), "here: the stack builds no IRSA role"),
            ("oidc_issuer_url", credentials == POD_IDENTITY, f"with credentials={POD_IDENTITY}: no role uses IRSA"),
            (
                "eks_cluster_name",
                credentials != POD_IDENTITY,
                f"with credentials={credentials}: it names the Pod Identity cluster",
            ),
            (
                "account_suppression",
                not args.bounce_handling,
                "without {bounce_handling}: only bounce handling sets it",
            ),
            ("mail_from_subdomain", not args.sender_domain, "without {sender_domain}: it names the domain's MAIL FROM"),
            (
                "service_account_name",
                credentials not in ROLE_CREDENTIALS,
                f"with credentials={credentials}: ZMS runs with no ServiceAccount of the stack",
            ),
        )
        if applies and arg in given
    ]
    return found
