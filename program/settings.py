"""Stack configuration: read it, validate all of it, derive what the stack needs.

Everything here runs before the first resource is registered. A bad value stops the
program with one `ConfigError` that names the key, the value and what is expected;
`pulumi.RunError` makes the CLI print that message without a traceback.

Validation has two steps because one fact is only known from the credentials:
`load_settings` checks every key on its own and in combination, and
`bind_accounts` adds the account the default AWS provider really is, then checks
what depends on it (is SES in another account? can Pulumi reach it?).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pulumi
import yaml

from athenz_ses import patterns, ses_endpoints
from athenz_ses.names import colliding_senders, stack_prefix
from athenz_ses.notifications import (
    ACCESS_KEY,
    BUILTIN,
    EXISTING_ROLE,
    FEDERATED_ROLE,
    IRSA,
    PLUGIN,
    POD_IDENTITY,
    SENDING_AUTHORIZATION,
    SMTP,
)
from athenz_ses.sending_user import SMTP_PORT
from athenz_ses.ses_endpoints import dkim_problem, smtp_host
from athenz_ses.zms_wiring import LAYOUTS, MAX_JAR_BYTES
from program.jar_constants import email_addresses, jar_string_constants, smtp_endpoints, smtp_findings

PROJECT = "athenz-ses"


PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"


def config_schema(project_file: Path = PROJECT_FILE) -> dict[str, dict]:
    """Every key of the stack config with its declaration (type, description, and the
    static default if any), from Pulumi.yaml: `config` and `optionalConfig`."""
    project = yaml.safe_load(project_file.read_text())
    return {**project["config"], **project["optionalConfig"]}


def as_config_string(value: object) -> str:
    """A value of a YAML file as the CLI passes it to the program: true/false for
    booleans, JSON for lists and maps, the text of anything else."""
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


# Every key of the public contract, with its static default as a config string (None:
# no static default; the program derives it or treats the key as unset).
DEFAULTS: dict[str, str | None] = {
    key: as_config_string(spec["default"]) if "default" in spec else None for key, spec in config_schema().items()
}

# Keys of earlier versions: setting one stops the program with what replaces it.
RETIRED: dict[str, str] = {
    "smtpCredentials": "to be removed: the send path decides it now (credentials=smtp comes with notifier=plugin)",
}

# Config keys whose value may be a Pulumi secret: they only reach provider settings, which
# the program passes on as secrets. Every other value names resources, lands in ARNs or
# in the ZMS pod spec, where Pulumi cannot hide it, so a secret there is refused.
SECRET_CAPABLE = frozenset(
    {
        f"{PROJECT}:sesRoleArn",
        f"{PROJECT}:sesProfile",
        f"{PROJECT}:hostedZoneRoleArn",
        "aws:profile",
        "kubernetes:context",
    }
)
SECRET_SHOWN = "[secret]"

_ACCOUNT_ID = re.compile(r"[0-9]{12}")
# The patterns of values the package also checks (athenz_ses.patterns), and the program's own.
_REGION, _DNS_LABEL, _DNS_SUBDOMAIN = patterns.REGION, patterns.DNS_LABEL, patterns.DNS_SUBDOMAIN
_DOMAIN, _EMAIL, _JAVA_CLASS = patterns.DOMAIN, patterns.EMAIL, patterns.JAVA_CLASS
_ROLE_ARN = patterns.ROLE_ARN
_PROFILE = re.compile(r"[A-Za-z0-9._+=@-]{1,128}")
# A Route 53 hosted zone id as the console and API show it (Z and upper-case letters and digits).
_HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
# IAM accepts OIDC provider URLs of at most 255 characters.
_ISSUER = re.compile(r"(?=.{1,255}\Z)https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._-]+)*")
_SHOWN_VALUE_CHARS = 80


class ConfigError(pulumi.RunError):
    """One bad config value: the key, the value and what is expected.

    A secret value is never shown: the message says "[secret]" instead (see `redacted`).
    """

    def __init__(self, key: str, value: object, expected: str, *, secret: bool = False):
        self.key = f"{PROJECT}:{key}" if ":" not in key else key
        self.value = SECRET_SHOWN if secret else value
        self.expected = expected
        self.secret = secret
        shown = SECRET_SHOWN if secret else _show(value)
        super().__init__(f"config {self.key}: {shown} is not valid; expected {expected}")

    def redacted(self, secrets: Mapping[str, str]) -> ConfigError:
        """The same error with every secret config value (full key -> value) hidden."""
        hidden = [value for value in secrets.values() if value]
        if self.secret or not hidden:
            return self
        expected = self.expected
        for value in hidden:
            expected = expected.replace(value, SECRET_SHOWN)
        leaks = self.key in secrets or any(isinstance(self.value, str) and value in self.value for value in hidden)
        if not leaks and expected == self.expected:
            return self
        return ConfigError(self.key, self.value, expected, secret=leaks)


def _show(value: object) -> str:
    if value is None:
        return "(not set)"
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 3] + "..."


class ConfigErrors(pulumi.RunError):
    """Every bad key of a config at once: one line each (key, value, expected), keys in order."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = sorted(errors, key=lambda error: error.key)
        super().__init__("\n".join(str(error) for error in self.errors))

    def redacted(self, secrets: Mapping[str, str]) -> ConfigErrors:
        return ConfigErrors([error.redacted(secrets) for error in self.errors])


_P = ParamSpec("_P")
_T = TypeVar("_T")

BAD: Any = object()
"""The parsed value of a key that had an error (reported once, where it was parsed)."""


def ok(*values: object) -> bool:
    """None of these values failed to parse: checks that combine them may run."""
    return all(value is not BAD for value in values)


class _Checks:
    """Runs each parser, keeps going after an error, and raises them all at the end."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def __call__(self, parse: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """parse(*args), or BAD after recording its error. BAD is typed as the parser's
        result: it is only ever passed on to ok() and raise_if_any()."""
        try:
            return parse(*args, **kwargs)
        except ConfigError as error:
            self.add(error)
            return BAD

    def add(self, error: ConfigError) -> None:
        if all(error.key != seen.key for seen in self.errors):  # one line per key
            self.errors.append(error)

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(self.errors)


@dataclass(frozen=True)
class Settings:
    """The validated stack configuration. Accounts are bound by `bind_accounts`."""

    region: str
    cluster_account_id: str | None
    oidc_issuer_url: str | None
    ses_account_id: str | None
    ses_region: str
    ses_role_arn: str | None
    zms_role_arn: str | None
    """credentials=existing-role: the IAM role ZMS already runs as."""
    ses_profile: str | None
    aws_profile: str | None
    cross_account_mode: str
    create_oidc_provider_setting: bool | None
    """createOidcProvider as configured; None: the component decides (create it in the SES
    account, look it up in the cluster account)."""
    sender_email: str
    recipient_emails: tuple[str, ...]
    sandbox: bool
    namespace: str
    service_account_name: str
    zms_layout: str
    zms_deployment: str
    zms_container: str
    notifier: str
    credentials: str
    """How ZMS authenticates to SES: irsa, access-key (built-in notifier) or smtp (plugin)."""
    plugin_jar: Path | None
    plugin_factory_class: str | None
    email_domain_to: str | None
    athenz_ui_url: str | None = None
    """athenz.notification_athenz_ui_url: the Athenz UI ZMS's mails link to."""
    workflow_url: str | None = None
    """athenz.notification_workflow_url: the approval page ZMS's mails link to."""
    eks_cluster_name: str | None = None
    """The EKS cluster of ZMS (credentials=pod-identity)."""
    sender_service_accounts: tuple[tuple[str, str], ...] = ()
    """Other workloads that send as the sender identity: (namespace, name), IRSA each."""
    smoke_test: bool = False
    smoke_test_recipient: str | None = None
    """Out of the sandbox, whom the smoke tests mail (default: SES's mailbox simulator)."""
    existing_identities: tuple[str, ...] = ()
    """SES identities that exist already: adopted (imported) and kept on destroy."""
    retain_identities: bool = False
    bounce_handling: bool = False
    """A configuration set publishes the sender's bounces, complaints, deliveries and
    rejects to an SNS topic; the account suppresses bounced and complaining addresses."""
    bounce_notification_emails: tuple[str, ...] = ()
    account_suppression: bool = True
    """With bounce_handling: the account-level suppression list (bounces, complaints)."""
    sender_domain: str | None = None
    """Send as this domain (domain identity, Easy DKIM, MAIL FROM <mail_from_subdomain>.<domain>)."""
    mail_from_subdomain: str = "bounce"
    hosted_zone_id: str | None = None
    """The Route 53 zone of sender_domain, where the stack creates the records SES needs."""
    hosted_zone_account_id: str | None = None
    """The zone's account (bound: default the SES account)."""
    hosted_zone_role_arn: str | None = None
    """A role Pulumi assumes to reach the zone's account."""
    plugin_jar_findings: tuple[str, ...] = ()
    """Where the plugin jar ignores the config (hard-coded SMTP endpoint or From address)."""
    plugin_jar_smtp_hosts: tuple[str, ...] = ()
    """The SMTP endpoints the plugin jar hard-codes."""
    plugin_jar_senders: tuple[str, ...] = ()
    """The email addresses the plugin jar hard-codes (its From address among them)."""
    secrets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Secret config values by full key (only keys in SECRET_CAPABLE)."""
    stack: str = "dev"
    configured: frozenset[str] = frozenset()
    """The project keys the stack sets (for the keys that then have no effect)."""

    @property
    def name_prefix(self) -> str:
        """`athenz-ses-<stack>`: the stack's Kubernetes names and field manager."""
        return stack_prefix(self.stack)

    def secret_if_configured(self, key: str, value: str | None) -> pulumi.Input[str] | None:
        """`value`, marked secret when the config key it came from is a secret."""
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        return pulumi.Output.secret(value) if value is not None and full_key in self.secrets else value

    # --- derived facts, once accounts are bound -------------------------------------
    @property
    def cross_account(self) -> bool:
        return self.ses_account_id != self.cluster_account_id

    @property
    def needs_ses_provider(self) -> bool:
        return self.cross_account or self.ses_region != self.region

    @property
    def needs_dns_provider(self) -> bool:
        """The hosted zone is in another account than SES's (or is reached through a role)."""
        return self.hosted_zone_id is not None and (
            self.hosted_zone_account_id != self.ses_account_id or self.hosted_zone_role_arn is not None
        )

    @property
    def zms_uses_irsa(self) -> bool:
        return self.credentials == IRSA

    @property
    def pod_identity(self) -> bool:
        """ZMS and the delegated senders get their roles through EKS Pod Identity."""
        return self.credentials == POD_IDENTITY

    @property
    def irsa_roles(self) -> bool:
        """Does the stack create any IRSA role (ZMS's or a delegated sender's)?"""
        return not self.pod_identity and (self.zms_uses_irsa or bool(self.sender_service_accounts))

    @property
    def role_in_ses_account(self) -> bool:
        """IRSA roles live in the SES account (federated-role across accounts)."""
        return self.cross_account and self.cross_account_mode == FEDERATED_ROLE

    @property
    def role_account_id(self) -> str | None:
        return self.ses_account_id if self.role_in_ses_account else self.cluster_account_id

    @property
    def sending_authorization(self) -> bool:
        """Delegated senders send as an identity of another account (identity policy)."""
        return (
            bool(self.sender_service_accounts)
            and self.cross_account
            and self.cross_account_mode == SENDING_AUTHORIZATION
        )

    @property
    def verified_recipients(self) -> tuple[str, ...]:
        return self.recipient_emails if self.sandbox else ()

    @property
    def smtp_host(self) -> str:
        """The SMTP endpoint the plugin really connects to: the one its jar hard-codes,
        else the SES Region's."""
        if len(self.plugin_jar_smtp_hosts) == 1:
            return self.plugin_jar_smtp_hosts[0]
        return smtp_host(self.ses_region)

    @property
    def smoke_test_sender(self) -> str:
        """The From address ZMS really sends with: the plugin's hard-coded one, if any."""
        if self.notifier == PLUGIN and len(self.plugin_jar_senders) == 1:
            return self.plugin_jar_senders[0]
        return self.sender_email

    def send_path(self) -> str:
        """One line: who sends, with which credentials, as which identity."""
        identity = (
            f"{self.smoke_test_sender} (domain identity {self.sender_domain})"
            if self.sender_domain
            else self.smoke_test_sender
        )
        where = f"identity {identity} of account {self.ses_account_id} in {self.ses_region}"
        if self.notifier == PLUGIN:
            how = (
                f"ZMS sends with the plugin {self.plugin_factory_class} over SMTP ({self.smtp_host}:{SMTP_PORT}) "
                f"with the SMTP password of an IAM user of account {self.ses_account_id}"
            )
        elif self.credentials == IRSA:
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount "
                f"{self.namespace}/{self.service_account_name} through IRSA (role in account {self.role_account_id})"
            )
        elif self.pod_identity:
            chain = f", chained into a target role in account {self.ses_account_id}" if self.cross_account else ""
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount "
                f"{self.namespace}/{self.service_account_name} through EKS Pod Identity on cluster "
                f"{self.eks_cluster_name} (role in account {self.cluster_account_id}{chain})"
            )
        elif self.credentials == EXISTING_ROLE:
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) with the credentials it already has, of role "
                f"{self.zms_role_arn} (the stack added one inline send policy to it and left ZMS's ServiceAccount, "
                f"Region and credential env as they were)"
            )
        else:
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) with the access key of an IAM user "
                f"of account {self.ses_account_id}"
            )
        return f"{how}, as {where}"

    def next_steps(self) -> str:
        """What the user still does after `pulumi up`, for this send path only."""
        addresses = ", ".join(self.addresses_to_verify)
        verify = (
            [
                f"Amazon SES (account {self.ses_account_id}, {self.ses_region}) has mailed a verification "
                f"link to: {addresses}. Each must click it before ZMS can send."
            ]
            if addresses
            else []
        )
        if self.sender_domain:
            where = (
                f"the stack created them in hosted zone {self.hosted_zone_id}"
                if self.hosted_zone_id
                else "create them in the domain's DNS"
            )
            verify.insert(
                0,
                f"Domain {self.sender_domain} is verified once SES finds its DKIM records (output "
                f"senderDnsRecords; {where}): usually minutes, at most 72 hours. Until then SES refuses "
                f"to send from it. Check, with credentials of account {self.ses_account_id}: aws sesv2 "
                f"get-email-identity --region {self.ses_region} --email-identity {self.sender_domain} "
                "(VerifiedForSendingStatus true).",
            )
        steps = [
            *verify,
            *(
                [
                    f"EKS Pod Identity needs the Pod Identity Agent on cluster {self.eks_cluster_name} "
                    "(the eks-pod-identity-agent add-on; built into EKS Auto Mode): without it ZMS gets no "
                    "credentials. Check with: kubectl get daemonset eks-pod-identity-agent -n kube-system"
                ]
                if self.pod_identity
                else []
            ),
            *(
                [
                    f"Amazon SNS has mailed a subscription confirmation to: "
                    f"{', '.join(self.bounce_notification_emails)}. Each must confirm it to be mailed bounces, "
                    "complaints and rejects."
                ]
                if self.bounce_notification_emails
                else []
            ),
            *([self.production_access_request()] if self.bounce_handling else []),
            "ZMS restarts with the new settings (the patch waits for the rollout).",
            "Trigger a notification: add a member to a self-serve or review-enabled Athenz role; "
            "ZMS mails the approvers at once. ZMS writes its log to a file in the pod, not to kubectl logs.",
        ]
        if self.sender_service_accounts:
            how = (
                (
                    "name the sender identity ARN when they send (--source-arn, FromEmailAddressIdentityArn); "
                    "both accounts need SES production access"
                )
                if self.sending_authorization
                else "send as the sender address"
            )
            steps.append(
                f"Delegated senders ({', '.join(f'{ns}/{sa}' for ns, sa in self.sender_service_accounts)}) "
                f"run as their ServiceAccount and {how}: see the output senderServiceAccounts."
            )
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))

    @property
    def addresses_to_verify(self) -> tuple[str, ...]:
        """The address identities SES mails a link to: the sender (unless its domain is the
        identity) and the sandbox recipients outside the sender domain."""
        domain = (self.sender_domain or "").lower()
        return tuple(
            dict.fromkeys(
                address
                for address in (*(() if domain else (self.sender_email,)), *self.verified_recipients)
                if address.split("@")[1].lower() != domain
            )
        )

    def production_access_request(self) -> str:
        """The SES production-access request this stack supports: reviewers ask how
        bounces and complaints are handled, and the stack's answer is in it."""
        users = f"users of {self.email_domain_to}" if self.email_domain_to else "its users"
        operators = (
            f", which mails {', '.join(self.bounce_notification_emails)}" if self.bounce_notification_emails else ""
        )
        use_case = (
            f"Athenz ZMS, our role-based access control server, sends transactional notification mails from "
            f"{self.sender_email} to {users} who must approve or review role memberships. Only Athenz users "
            "are mailed; no marketing, no purchased or rented lists. Every mail goes through configuration set "
            f"{self.name_prefix} (the default configuration set of the sending identity), which publishes "
            f"bounces, complaints, deliveries and rejects to an Amazon SNS topic{operators}"
            + (
                "; the account-level suppression list stops mail to addresses that bounced or complained."
                if self.account_suppression
                else "."
            )
        )
        where = f"account {self.ses_account_id} in {self.ses_region}"
        state = (
            f"If {where} is still in the SES sandbox, request production access"
            if not self.sandbox
            else f"To leave the SES sandbox ({where}), request production access, then set {PROJECT}:sandbox to false"
        )
        return (
            f"{state} (bounce topic: output bounceTopicArn): aws sesv2 put-account-details --region "
            f"{self.ses_region} --production-access-enabled --mail-type TRANSACTIONAL --website-url "
            f"https://<your Athenz UI> --use-case-description '{use_case}'"
        )

    def warnings(self) -> list[str]:
        found = []
        if self.sending_authorization and self.sandbox:
            found.append(
                "delegated senders send across accounts with sending authorization, which delivers only "
                f"when BOTH accounts are out of the SES sandbox (cluster account {self.cluster_account_id}, "
                f"SES account {self.ses_account_id}); set {PROJECT}:sandbox to false once they are, or use "
                f"{PROJECT}:crossAccountMode={FEDERATED_ROLE}"
            )
        if self.sending_authorization and self.bounce_handling and not self.smoke_test:
            found.append(
                "delegated senders send by sending authorization, and the sender identity has the bounce "
                f"configuration set as its default; AWS does not document whether SES applies account "
                f"{self.ses_account_id}'s default set to a delegate's send (if it does, the delegate would need "
                "permission on a set of another account, which no policy can give). Prove it once with "
                f"{PROJECT}:smokeTest=true (its second Job sends as {'/'.join(self.sender_service_accounts[0])}), "
                f"or set {PROJECT}:bounceHandling to false"
            )
        if self.recipient_emails and not self.sandbox:
            found.append(
                f"{PROJECT}:recipientEmails is ignored while {PROJECT}:sandbox is false: "
                "out of the sandbox recipients need no verification"
            )
        # A verified domain may be mailed in the sandbox: ZMS's users are, when they are all of it.
        users_in_sender_domain = bool(
            self.sender_domain and self.email_domain_to and self.sender_domain.lower() == self.email_domain_to.lower()
        )
        if self.sandbox and not self.verified_recipients and not users_in_sender_domain:
            found.append(
                f"{PROJECT}:sandbox is true and {PROJECT}:recipientEmails lists nobody: in the SES sandbox ZMS "
                "can only mail verified addresses, so its notifications will be rejected; list your approvers' "
                f"addresses, or set {PROJECT}:sandbox to false once the account has SES production access"
            )
        missing_links = [
            key for key, value in (("athenzUiUrl", self.athenz_ui_url), ("workflowUrl", self.workflow_url)) if not value
        ]
        if self.notifier == BUILTIN and missing_links:
            found.append(
                " and ".join(f"{PROJECT}:{key}" for key in missing_links)
                + " unset: ZMS's mails link to the Athenz UI and the approval page through them, and without "
                "them the links read null (athenz.notification_athenz_ui_url, athenz.notification_workflow_url)"
            )
        if self.notifier == BUILTIN and self.email_domain_to:
            for recipient in self.verified_recipients:
                if recipient.split("@")[1].lower() != self.email_domain_to.lower():
                    found.append(
                        f"{PROJECT}:recipientEmails: {recipient} is not in {PROJECT}:emailDomainTo "
                        f"({self.email_domain_to}): ZMS mails users at <name>@{self.email_domain_to}, never there"
                    )
        found += [f"{PROJECT}:{key} has no effect {why}" for key, why in self._without_effect()]
        found += self.plugin_jar_findings
        return found

    def _without_effect(self) -> list[tuple[str, str]]:
        """Keys the stack sets that its send path does not use."""
        unused = []
        if "createOidcProvider" in self.configured and not self.irsa_roles:
            unused.append(("createOidcProvider", "here: the stack builds no IRSA role"))
        if "oidcIssuerUrl" in self.configured and self.pod_identity:
            unused.append(("oidcIssuerUrl", f"with credentials={POD_IDENTITY}: no role uses IRSA"))
        if "eksClusterName" in self.configured and not self.pod_identity:
            unused.append(("eksClusterName", f"with credentials={self.credentials}: it names the Pod Identity cluster"))
        if "accountSuppression" in self.configured and not self.bounce_handling:
            unused.append(("accountSuppression", f"without {PROJECT}:bounceHandling: only bounce handling sets it"))
        if "mailFromSubdomain" in self.configured and not self.sender_domain:
            unused.append(("mailFromSubdomain", f"without {PROJECT}:senderDomain: it names the domain's MAIL FROM"))
        if "serviceAccountName" in self.configured and self.credentials not in (IRSA, POD_IDENTITY):
            unused.append(
                (
                    "serviceAccountName",
                    f"with credentials={self.credentials}: ZMS runs with no ServiceAccount of the stack",
                )
            )
        if "crossAccountMode" in self.configured and not (
            self.cross_account and (self.irsa_roles or self.pod_identity)
        ):
            unused.append(("crossAccountMode", "here: it places IRSA roles when SES is in another account"))
        return unused


def read_stack_config() -> Mapping[str, str | None]:
    """The raw config strings of this stack, keyed as `namespace:key`."""
    project = pulumi.Config(PROJECT)
    aws = pulumi.Config("aws")
    # Every key of the project's namespace the CLI passed (PULUMI_CONFIG), so that a
    # misspelled key is reported instead of silently leaving its default in place.
    given = [key.split(":", 1)[1] for key in pulumi.runtime.get_config_env() if key.startswith(f"{PROJECT}:")]
    raw: dict[str, str | None] = {
        f"{PROJECT}:{key}": project.get(key) for key in dict.fromkeys([*DEFAULTS, *RETIRED, *given])
    }
    raw["aws:region"] = aws.get("region")
    raw["aws:profile"] = aws.get("profile")
    # Only to refuse EKS Pod Identity on a stack that says it runs on kind.
    raw["kubernetes:context"] = pulumi.Config("kubernetes").get("context")
    return raw


def secret_config_keys(raw: Mapping[str, str | None]) -> frozenset[str]:
    """The keys of `raw` that the stack config holds as secrets."""
    return frozenset(key for key, value in raw.items() if value is not None and pulumi.runtime.is_config_secret(key))


def load_settings(
    raw: Mapping[str, str | None],
    project_dir: Path | None = None,
    secret_keys: frozenset[str] = frozenset(),
    stack: str = "dev",
) -> Settings:
    """Validate every key and every combination that does not depend on credentials.

    `secret_keys`: the keys whose values are Pulumi secrets. No error message shows them.
    `stack`: the stack's name; the Kubernetes names and the field manager derive from it.
    """
    secrets = {key: value for key in secret_keys if (value := raw.get(key)) is not None}
    try:
        return _load_settings(raw, project_dir or Path.cwd(), secrets, stack)
    except (ConfigError, ConfigErrors) as error:
        raise error.redacted(secrets) from None


def _load_settings(
    raw: Mapping[str, str | None], project_dir: Path, secrets: Mapping[str, str], stack: str
) -> Settings:
    check = _Checks()
    for key in sorted(secrets):
        if key not in SECRET_CAPABLE:
            check.add(
                ConfigError(
                    key,
                    None,
                    "a plain value, not a secret: it names resources or lands in ARNs and the ZMS pod spec, "
                    "where it could not stay secret (only " + ", ".join(sorted(SECRET_CAPABLE)) + " may be secrets)",
                    secret=True,
                )
            )
    for full_key in sorted(k for k in raw if k.startswith(f"{PROJECT}:") and raw[k] is not None):
        name = full_key.split(":", 1)[1]
        if name in RETIRED:
            check.add(ConfigError(name, raw[full_key], RETIRED[name]))
        elif name not in DEFAULTS:
            check.add(ConfigError(name, raw[full_key], _unknown_key_hint(name)))

    def get(key: str) -> str | None:
        value = raw.get(f"{PROJECT}:{key}")
        return DEFAULTS[key] if value is None else value

    region = check(_required_match, "aws:region", raw.get("aws:region"), _REGION, "an AWS Region such as eu-west-1")
    aws_profile = check(_optional_match, "aws:profile", raw.get("aws:profile"), _PROFILE, "an AWS profile name")
    cluster_account = check(_account_id, "clusterAccountId", get("clusterAccountId"))
    ses_account = check(_account_id, "sesAccountId", get("sesAccountId"))

    issuer = check(_issuer, get("oidcIssuerUrl"))
    cluster_name = check(
        _optional_match,
        "eksClusterName",
        get("eksClusterName"),
        patterns.EKS_CLUSTER_NAME,
        "an EKS cluster name (letters, digits, '-' and '_', at most 100)",
    )
    notifier = check(_choice, "notifier", get("notifier"), (BUILTIN, PLUGIN))
    zms_role = check(
        _optional_match, "zmsRoleArn", get("zmsRoleArn"), _ROLE_ARN, "the ARN of the IAM role ZMS already runs as"
    )
    credentials = (
        check(_credentials, get("credentials"), notifier, issuer, cluster_name, raw.get("kubernetes:context"), zms_role)
        if ok(notifier, issuer, cluster_name, zms_role)
        else BAD
    )
    mode = check(_choice, "crossAccountMode", get("crossAccountMode"), (FEDERATED_ROLE, SENDING_AUTHORIZATION))
    create_oidc = get("createOidcProvider")
    create_oidc_setting = None if create_oidc is None else check(_bool, "createOidcProvider", create_oidc)
    sender = check(_email, "senderEmail", get("senderEmail"))
    recipients = check(_recipients, get("recipientEmails"), sender if ok(sender) else None)
    configured_region = get("sesRegion")
    if configured_region is not None:
        ses_region = check(_ses_region, configured_region)
        partitions = ses_partitions()
        if ok(region, ses_region) and region in partitions and partitions[region] != partitions.get(ses_region):
            check.add(
                ConfigError(
                    "sesRegion",
                    ses_region,
                    (
                        f"a Region of the partition of aws:region {region} ({partitions[region]}): one stack's "
                        f"credentials and ARNs cannot span partitions"
                    ),
                )
            )
            ses_region = BAD
    else:  # SES in the cluster's Region: it must be offered there
        ses_region = check(_ses_region, region, "aws:region") if ok(region) else BAD
    if ok(credentials, region, ses_region) and credentials == EXISTING_ROLE and ses_region != region:
        check.add(
            ConfigError(
                "sesRegion",
                ses_region,
                f"aws:region ({region}) with {PROJECT}:zmsRoleArn: ZMS keeps its own AWS Region (AWS_REGION from EKS, "
                "or its node's), which Athenz uses for every AWS client it has (the SES notifier, and the RDS, S3 and "
                "SSM stores), so the stack does not set AWS_REGION and SES must be in ZMS's Region",
            )
        )
    namespace = check(
        _required_match,
        "namespace",
        get("namespace"),
        _DNS_LABEL,
        "a Kubernetes namespace name (a DNS label: lower case letters, digits and '-', at most 63)",
    )
    configured_account = get("serviceAccountName")  # an empty string is a value, not "unset"
    service_account = check(
        _dns_subdomain, "serviceAccountName", stack_prefix(stack) if configured_account is None else configured_account
    )
    zms = (
        (namespace, service_account) if credentials in (IRSA, POD_IDENTITY) and ok(namespace, service_account) else None
    )
    senders = (
        check(_sender_service_accounts, get("senderServiceAccounts"), issuer, zms, credentials == POD_IDENTITY)
        if ok(issuer, credentials)
        else BAD
    )

    role_arn = check(
        _optional_match,
        "sesRoleArn",
        get("sesRoleArn"),
        _ROLE_ARN,
        "an IAM role ARN such as arn:aws:iam::222222222222:role/pulumi-ses",
    )
    profile = check(_optional_match, "sesProfile", get("sesProfile"), _PROFILE, "an AWS profile name")
    if role_arn and profile and ok(role_arn, profile):
        check.add(ConfigError("sesProfile", profile, f"to be unset when {PROJECT}:sesRoleArn is set (use one of them)"))
    domain_to = check(
        _optional_match, "emailDomainTo", get("emailDomainTo"), _DOMAIN, "a mail domain such as example.com"
    )

    flags = {
        key: check(_bool, key, get(key)) for key in ("sandbox", "smokeTest", "retainIdentities", "accountSuppression")
    }
    configured_bounces = get("bounceHandling")
    bounce_handling = (
        check(_bool, "bounceHandling", configured_bounces)
        if configured_bounces is not None
        else (not flags["sandbox"] if ok(flags["sandbox"]) else BAD)
    )
    operators = check(
        _addresses, "bounceNotificationEmails", get("bounceNotificationEmails"), 'such as ["mail-admins@example.com"]'
    )
    if ok(bounce_handling, operators) and operators and not bounce_handling:
        check.add(
            ConfigError(
                "bounceNotificationEmails",
                get("bounceNotificationEmails"),
                f"to be empty while {PROJECT}:bounceHandling is false: there is no bounce topic to subscribe to",
            )
        )
    sender_domain = check(
        _optional_match, "senderDomain", get("senderDomain"), _DOMAIN, "a mail domain such as example.com"
    )
    if ok(sender_domain) and sender_domain and sender_domain != sender_domain.lower():
        # It names the identity, its ARN and the DNS records: one spelling, as SES and DNS compare them.
        check.add(ConfigError("senderDomain", sender_domain, "the domain in lower case"))
    elif ok(sender_domain, sender) and sender_domain and sender.split("@")[1].lower() != sender_domain.lower():
        check.add(
            ConfigError(
                "senderDomain",
                sender_domain,
                f"the domain of {PROJECT}:senderEmail ({sender.split('@')[1]}): SES sends as the domain identity",
            )
        )
    if ok(sender_domain, ses_region) and sender_domain and dkim_problem(ses_region):
        region_key = "sesRegion" if configured_region is not None else "aws:region"
        check.add(ConfigError(region_key, ses_region, f"with {PROJECT}:senderDomain: {dkim_problem(ses_region)}"))
    mail_from = check(
        _required_match,
        "mailFromSubdomain",
        get("mailFromSubdomain"),
        _DNS_LABEL,
        "a DNS label (lower case letters, digits and '-'), such as bounce",
    )
    zone = check(
        _optional_match,
        "hostedZoneId",
        get("hostedZoneId"),
        _HOSTED_ZONE_ID,
        "a Route 53 hosted zone id such as Z0EXAMPLE",
    )
    zone_account = check(_account_id, "hostedZoneAccountId", get("hostedZoneAccountId"))
    zone_role = check(
        _optional_match,
        "hostedZoneRoleArn",
        get("hostedZoneRoleArn"),
        _ROLE_ARN,
        "an IAM role ARN such as arn:aws:iam::333333333333:role/pulumi-dns",
    )
    for key, needs in (
        ("hostedZoneId", "senderDomain"),
        ("hostedZoneAccountId", "hostedZoneId"),
        ("hostedZoneRoleArn", "hostedZoneId"),
    ):
        if get(key) is not None and get(needs) is None:
            check.add(ConfigError(key, get(key), f"to be unset without {PROJECT}:{needs}"))
    jar: object = None
    factory: object = None
    jar_findings: object = ((), (), ())
    if notifier == PLUGIN:
        jar = check(_plugin_jar, get("pluginJar"), project_dir)
        factory = check(
            _required_match,
            "pluginFactoryClass",
            get("pluginFactoryClass"),
            _JAVA_CLASS,
            "the plugin's fully qualified NotificationServiceFactory class, such as com.mlajkim.athenz.AwsSesPlugin",
        )
        if ok(jar, factory, ses_region, sender, domain_to, recipients, flags["sandbox"]):
            # The domains the plugin must mail: emailDomainTo, else those of the sandbox recipients.
            domains = (
                (domain_to,)
                if domain_to
                else tuple(dict.fromkeys(r.split("@")[1].lower() for r in recipients))
                if flags["sandbox"]
                else ()
            )
            jar_findings = check(_jar_findings, get("pluginJar"), jar, factory, ses_region, sender, domains)
    elif notifier == BUILTIN:
        if get("emailDomainTo") is None:
            check.add(
                ConfigError(
                    "emailDomainTo",
                    None,
                    (
                        f"the mail domain of your Athenz users with notifier={BUILTIN}: ZMS mails user.alice at "
                        "alice@<emailDomainTo>, and without it at alice@null"
                    ),
                )
            )
        for key in ("pluginJar", "pluginFactoryClass"):
            if get(key) is not None:
                check.add(
                    ConfigError(
                        key,
                        get(key),
                        f"to be unset with notifier={BUILTIN}: the built-in notifier ships in the ZMS image",
                    )
                )

    layout_name = check(_choice, "zmsLayout", get("zmsLayout"), tuple(LAYOUTS))
    layout = LAYOUTS.get(layout_name) or LAYOUTS["distribution"]  # a bad layout is reported above
    deployment = check(_dns_subdomain, "zmsDeployment", _or(get("zmsDeployment"), layout.deployment))
    container = check(
        _required_match,
        "zmsContainer",
        _or(get("zmsContainer"), layout.container),
        _DNS_LABEL,
        "a container name (a DNS label)",
    )
    existing = check(_existing_identities, get("existingIdentities"))
    smoke_recipient = check(
        _optional_match, "smokeTestRecipient", get("smokeTestRecipient"), _EMAIL, "an email address"
    )
    if ok(existing, sender, sender_domain, zone, recipients, bounce_handling, flags["sandbox"]) and existing:
        sender_identity = (sender_domain or sender).lower()
        created = {sender_identity, *(r.lower() for r in (recipients if flags["sandbox"] else ()))}
        sender_adopted = sender_identity in {e.lower() for e in existing}  # SES ignores the case
        strangers = [e for e in existing if e.lower() not in created]
        if strangers:
            check.add(
                ConfigError(
                    "existingIdentities",
                    json.dumps(strangers),
                    "identities the stack creates: the sender's address (or senderDomain) and, in the sandbox, "
                    "recipientEmails",
                )
            )
        if sender_domain and zone and sender_adopted:
            check.add(
                ConfigError(
                    "existingIdentities",
                    sender_identity,
                    f"without the domain while {PROJECT}:hostedZoneId is set: an adopted domain has its DNS records "
                    "already, and Route 53 refuses to create them again; adopt it without hostedZoneId",
                )
            )
        if bounce_handling and sender_adopted:
            check.add(
                ConfigError(
                    "existingIdentities",
                    sender_identity,
                    f"without the sender while {PROJECT}:bounceHandling is true: an import must match the live "
                    "identity, which has no default configuration set yet; adopt it with bounceHandling false, "
                    "then turn bounce handling on in the next pulumi up",
                )
            )
    plugin_smoke_out_of_sandbox = (
        flags["smokeTest"] is True and notifier == PLUGIN and flags["sandbox"] is False and smoke_recipient is None
    )
    if ok(notifier, smoke_recipient, flags["smokeTest"], flags["sandbox"]) and plugin_smoke_out_of_sandbox:
        check.add(
            ConfigError(
                "smokeTestRecipient",
                None,
                "an address of the plugin's recipient domain with smokeTest and the plugin out of the sandbox "
                "(the plugin mails <name>@<its own domain>, never the SES mailbox simulator)",
            )
        )
    links = {
        key: check(_optional_match, key, get(key), patterns.HTTPS_URL, f"an https:// URL such as {example}")
        for key, example in (
            ("athenzUiUrl", "https://athenz.example.com"),
            ("workflowUrl", "https://athenz.example.com/workflow"),
        )
    }
    check.raise_if_any()

    findings, hosts, addresses = jar_findings  # type: ignore[misc]
    return Settings(
        region=region,
        cluster_account_id=cluster_account,
        oidc_issuer_url=issuer,
        ses_account_id=ses_account,
        ses_region=ses_region,
        ses_role_arn=role_arn,
        zms_role_arn=zms_role,
        ses_profile=profile,
        aws_profile=aws_profile,
        cross_account_mode=mode,
        create_oidc_provider_setting=create_oidc_setting,
        sender_email=sender,
        recipient_emails=recipients,
        sandbox=flags["sandbox"],
        namespace=namespace,
        service_account_name=service_account,
        zms_layout=layout_name,
        zms_deployment=deployment,
        zms_container=container,
        notifier=notifier,
        credentials=credentials,
        plugin_jar=jar,
        plugin_factory_class=factory,
        sender_service_accounts=senders,
        plugin_jar_findings=findings,
        plugin_jar_smtp_hosts=hosts,
        plugin_jar_senders=addresses,
        email_domain_to=domain_to,
        athenz_ui_url=links["athenzUiUrl"],
        workflow_url=links["workflowUrl"],
        eks_cluster_name=cluster_name,
        smoke_test=flags["smokeTest"],
        smoke_test_recipient=smoke_recipient,
        existing_identities=existing,
        retain_identities=flags["retainIdentities"],
        bounce_handling=bounce_handling,
        bounce_notification_emails=operators,
        account_suppression=flags["accountSuppression"],
        sender_domain=sender_domain,
        mail_from_subdomain=mail_from,
        hosted_zone_id=zone,
        hosted_zone_account_id=zone_account,
        hosted_zone_role_arn=zone_role,
        secrets=dict(secrets),
        stack=stack,
        # Keys set to something else than their static default (the CLI passes the
        # defaults Pulumi.yaml declares as config values too).
        configured=frozenset(
            name
            for name, value in ((k.split(":", 1)[1], v) for k, v in raw.items() if k.startswith(f"{PROJECT}:"))
            if value is not None and value != DEFAULTS.get(name)
        ),
    )  # type: ignore[arg-type]  # every BAD was reported above


def bind_accounts(settings: Settings, caller_account_id: str) -> Settings:
    """Fill in the accounts from the default provider's credentials and check them."""
    try:
        return _bind_accounts(settings, caller_account_id)
    except ConfigError as error:
        raise error.redacted(settings.secrets) from None


def _bind_accounts(settings: Settings, caller_account_id: str) -> Settings:
    cluster = settings.cluster_account_id or caller_account_id
    if cluster != caller_account_id:
        raise ConfigError(
            "clusterAccountId",
            settings.cluster_account_id,
            f"the account of the default AWS credentials ({caller_account_id}); "
            "select the cluster account's credentials (aws:profile or the environment)",
        )
    bound = dataclasses.replace(settings, cluster_account_id=cluster, ses_account_id=settings.ses_account_id or cluster)
    assert bound.ses_account_id is not None
    _role_in_account("sesRoleArn", bound.ses_role_arn, bound.ses_account_id, "the SES account", "sesAccountId", "SES")
    # The built-in notifier sends with ZMS's own credentials, as identities of their account.
    _role_in_account("zmsRoleArn", bound.zms_role_arn, bound.ses_account_id, "the SES account", "sesAccountId", "SES")
    if bound.hosted_zone_id is not None:
        zone_account = bound.hosted_zone_account_id or bound.ses_account_id
        bound = dataclasses.replace(bound, hosted_zone_account_id=zone_account)
        _role_in_account(
            "hostedZoneRoleArn",
            bound.hosted_zone_role_arn,
            zone_account,
            "the hosted zone's account",
            "hostedZoneAccountId",
            "the zone",
        )
        if bound.hosted_zone_role_arn is None and zone_account not in (cluster, bound.ses_account_id):
            raise ConfigError(
                "hostedZoneRoleArn",
                None,
                f"a role that reaches the hosted zone's account {zone_account} from the cluster account {cluster}",
            )
    if bound.cross_account and not (bound.ses_role_arn or bound.ses_profile):
        raise ConfigError(
            "sesRoleArn",
            None,
            f"a role (or {PROJECT}:sesProfile) that reaches SES account {bound.ses_account_id} "
            f"from the cluster account {cluster}",
        )
    if bound.sender_domain and bound.sending_authorization:
        raise ConfigError(
            "crossAccountMode",
            bound.cross_account_mode,
            f"{FEDERATED_ROLE} with {PROJECT}:senderDomain and {PROJECT}:senderServiceAccounts: the SES guide counts "
            "delegate sending from an address that only its domain verifies as advanced sending, which needs an "
            "identity of the address itself (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html)",
        )
    if (
        bound.cross_account
        and bound.credentials in (IRSA, POD_IDENTITY)
        and bound.cross_account_mode == SENDING_AUTHORIZATION
    ):
        where = "live in" if bound.credentials == IRSA else "chain into a target role of"
        raise ConfigError(
            "crossAccountMode",
            bound.cross_account_mode,
            f"{FEDERATED_ROLE} with notifier={BUILTIN} and credentials={bound.credentials}: the built-in notifier "
            f"cannot name a source identity ARN, so its role must {where} the SES account "
            "(or use credentials=access-key)",
        )
    return bound


def _role_in_account(key: str, role_arn: str | None, account: str, where: str, account_key: str, what: str) -> None:
    """A role Pulumi assumes must be one of the account it is meant to reach."""
    if role_arn is None:
        return
    match = _ROLE_ARN.fullmatch(role_arn)
    assert match is not None  # load_settings checked it
    if match.group("account") != account:
        raise ConfigError(
            key, role_arn, f"a role in {where} {account} (set {PROJECT}:{account_key} when {what} lives elsewhere)"
        )


# --- single-value parsers ------------------------------------------------------------------


def _required_match(key: str, value: str | None, pattern: re.Pattern, expected: str) -> str:
    if value is None or not pattern.fullmatch(value):
        raise ConfigError(key, value, expected)
    return value


def _optional_match(key: str, value: str | None, pattern: re.Pattern, expected: str) -> str | None:
    return None if value is None else _required_match(key, value, pattern, expected)


def _dns_subdomain(key: str, value: str | None, max_length: int = 253) -> str:
    expected = (
        f"a Kubernetes object name (a DNS subdomain: lower case letters, digits, '-' and '.', at most {max_length})"
    )
    value = _required_match(key, value, _DNS_SUBDOMAIN, expected)
    if len(value) > max_length:
        raise ConfigError(key, value, expected)
    return value


def _or(value: str | None, default: str) -> str:
    """The configured value (an empty string is a value), else the default."""
    return default if value is None else value


def _bool(key: str, value: str | None) -> bool:
    if value not in ("true", "false", "True", "False"):
        raise ConfigError(key, value, "true or false")
    return value.lower() == "true"


def _choice(key: str, value: str | None, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(key, value, "one of " + ", ".join(choices))
    return value


def _email(key: str, value: str | None) -> str:
    return _required_match(key, value, _EMAIL, "an email address such as zms@example.com")


def _string_list(key: str, value: str | None, expected: str) -> list[str]:
    """A list key as the CLI passes it (JSON); unset is the empty list."""
    try:
        parsed = json.loads(value) if value is not None else []
    except (ValueError, RecursionError):
        raise ConfigError(key, value, expected) from None
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        raise ConfigError(key, value, expected)
    return parsed


def _existing_identities(value: str | None) -> tuple[str, ...]:
    expected = "a list of SES identities that exist already: email addresses or a domain"
    found = _string_list("existingIdentities", value, expected)
    if not all(_EMAIL.fullmatch(item) or _DOMAIN.fullmatch(item) for item in found):
        raise ConfigError("existingIdentities", value, expected)
    return tuple(found)


def _addresses(key: str, value: str | None, example: str) -> tuple[str, ...]:
    """A list of distinct email addresses."""
    parsed = _string_list(key, value, f"a list of email addresses, {example}")
    seen: set[str] = set()
    for item in parsed:
        _email(key, item)
        if item.lower() in seen:
            raise ConfigError(key, item, "each address once")
        seen.add(item.lower())
    return tuple(parsed)


def _recipients(value: str | None, sender: str | None) -> tuple[str, ...]:
    parsed = _string_list("recipientEmails", value, 'a list of email addresses, such as ["alice@example.com"]')
    seen: set[str] = set()
    for item in parsed:
        _email("recipientEmails", item)
        if item.lower() in seen or (sender is not None and item.lower() == sender.lower()):
            raise ConfigError(
                "recipientEmails", item, "each address once, and not the senderEmail (it is verified already)"
            )
        seen.add(item.lower())
    return tuple(parsed)


def _account_id(key: str, value: str | None) -> str | None:
    if value is None or _ACCOUNT_ID.fullmatch(value):
        return value
    hint = ""
    if value.isascii() and value.isdigit() and len(value) < 12 and not value.startswith("0"):
        hint = (
            '; YAML read an unquoted number: write the id in quotes, such as "022222222222" '
            "(unquoted, leading zeros are dropped, or the number is read as octal)"
        )
    raise ConfigError(key, value, f"a 12-digit AWS account id (quote it in YAML){hint}")


@functools.cache
def ses_partitions() -> dict[str, str]:
    """Region -> partition, for every Region where the SES v2 API is offered, from
    botocore's endpoint data."""
    return ses_endpoints.ses_partitions()


def ses_regions() -> frozenset[str]:
    """Every Region where the SES v2 API is offered."""
    return ses_endpoints.ses_regions()


def _ses_region(value: str, key: str = "sesRegion") -> str:
    expected = "an AWS Region where SES is offered, such as eu-west-1"
    if not _REGION.fullmatch(value):
        raise ConfigError(key, value, expected)
    if value not in ses_partitions():
        hint = f" (set {PROJECT}:sesRegion to one)" if key == "aws:region" else ""
        raise ConfigError(key, value, f"{expected}{hint}; SES is not offered in {value} (botocore's endpoint data)")
    return value


def _unknown_key_hint(name: str) -> str:
    known = {key.lower(): key for key in (*DEFAULTS, *RETIRED)}
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    suggestion = f"; did you mean {PROJECT}:{known[close[0]]}?" if close else ""
    return f"a key this project knows (README.md, Configuration){suggestion}"


def _credentials(
    value: str | None,
    notifier: str,
    issuer: str | None,
    cluster_name: str | None,
    context: str | None,
    zms_role: str | None = None,
) -> str:
    """How ZMS authenticates: the plugin only speaks SMTP; the built-in notifier takes the
    role ZMS already runs as (default with zmsRoleArn), IRSA (default with an issuer), EKS
    Pod Identity (default with an EKS cluster name) or a static access key (default
    without either, e.g. kind)."""
    if notifier == PLUGIN:
        if value not in (None, SMTP):
            raise ConfigError(
                "credentials",
                value,
                f"{SMTP} (or unset) with notifier={PLUGIN}: the plugin sends over SMTP with an SMTP password",
            )
        return SMTP
    if value is None:
        credentials = EXISTING_ROLE if zms_role else IRSA if issuer else POD_IDENTITY if cluster_name else ACCESS_KEY
    else:
        credentials = _choice("credentials", value, (IRSA, POD_IDENTITY, ACCESS_KEY, EXISTING_ROLE))
    if (credentials == EXISTING_ROLE) != (zms_role is not None):
        raise ConfigError(
            "zmsRoleArn",
            zms_role,
            f"the role ZMS already runs as with credentials={EXISTING_ROLE}, and unset otherwise (credentials="
            f"{credentials} gives ZMS credentials of the stack's own)",
        )
    if credentials == POD_IDENTITY:
        if context is not None and context.startswith("kind-"):
            # The key that chose Pod Identity: credentials, or eksClusterName by default.
            raise ConfigError(
                "credentials" if value else "eksClusterName",
                value or cluster_name,
                f"no EKS Pod Identity here: kubernetes:context {context!r} is a kind cluster, and Pod Identity "
                f"only exists on EKS (not on kind, EKS Anywhere, Fargate or Windows nodes); use "
                f"credentials={ACCESS_KEY} on kind",
            )
        if cluster_name is None:
            raise ConfigError(
                "eksClusterName",
                None,
                f"the EKS cluster ZMS runs on with credentials={POD_IDENTITY} (the association names it)",
            )
    if credentials == IRSA and issuer is None:
        raise ConfigError(
            "oidcIssuerUrl",
            None,
            f"the cluster's OIDC issuer with credentials={IRSA} "
            f"(or credentials={ACCESS_KEY} where there is none, as on kind)",
        )
    return credentials


def _sender_service_accounts(
    value: str | None, issuer: str | None, zms: tuple[str, str] | None, pod_identity: bool = False
) -> tuple[tuple[str, str], ...]:
    key = "senderServiceAccounts"
    expected = 'a list of "namespace/name" ServiceAccounts of other workloads, such as ["mailer/reports"]'
    parsed = _string_list(key, value, expected)
    found: list[tuple[str, str]] = []
    for item in parsed:
        namespace, _, name = item.partition("/")
        if not (_DNS_LABEL.fullmatch(namespace) and _DNS_SUBDOMAIN.fullmatch(name) and len(name) <= 253):
            raise ConfigError(key, item, expected + " (namespace a DNS label, name a DNS subdomain)")
        if (namespace, name) in found or (namespace, name) == zms:
            raise ConfigError(key, item, f"each ServiceAccount once, and not ZMS's own ({PROJECT}:serviceAccountName)")
        found.append((namespace, name))
    collisions = colliding_senders(parsed)
    if collisions:
        raise ConfigError(key, collisions[0], "ServiceAccounts whose roles get distinct names (these would share one)")
    if found and issuer is None and not pod_identity:
        raise ConfigError(
            "oidcIssuerUrl",
            None,
            f"the cluster's OIDC issuer with {PROJECT}:{key}: delegated senders get IRSA roles "
            f"(or EKS Pod Identity with credentials={POD_IDENTITY})",
        )
    return tuple(found)


def _jar_findings(
    value: str | None, jar: Path, factory: str, ses_region: str, sender: str, domains: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What the plugin hard-codes against the config: the warnings, the SMTP endpoints and
    the addresses in the string constants of the classes in its factory's package (a
    shaded jar carries libraries too; their strings are not the plugin's settings)."""
    try:
        constants = jar_string_constants(jar)
    except ValueError as error:
        raise ConfigError("pluginJar", value, f"a jar of class files ({error})") from None
    package = factory.rsplit(".", 1)[0].replace(".", "/") + "/"
    own = {name: strings for name, strings in constants.items() if name.startswith(package)}
    return (
        tuple(smtp_findings(own, ses_region, sender, domains)),
        tuple(smtp_endpoints(own)),
        tuple(email_addresses(own)),
    )


def _issuer(value: str | None) -> str | None:
    if value is None:
        return None
    normalised = value[:-1] if value.endswith("/") else value
    if not _ISSUER.fullmatch(normalised):
        raise ConfigError(
            "oidcIssuerUrl",
            value,
            "the cluster's OIDC issuer, an https:// URL such as https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
        )
    return normalised


def _plugin_jar(value: str | None, project_dir: Path) -> Path:
    expected = (
        f"the path of the plugin jar, relative to the project, at most {MAX_JAR_BYTES} bytes "
        "(it travels in a ConfigMap)"
    )
    if not value or "\x00" in value:
        raise ConfigError("pluginJar", value, expected)
    path = project_dir / value
    try:
        size = path.stat().st_size if path.is_file() else None
    except (OSError, ValueError):
        size = None
    if size is None:
        try:
            others = sorted(p.name for p in path.parent.glob("*.jar")) if path.parent.is_dir() else []
        except (OSError, ValueError):
            others = []
        if others:
            raise ConfigError(
                "pluginJar", value, f"{expected}; no such file, but its folder holds {', '.join(others[:3])}: a typo?"
            )
        raise ConfigError("pluginJar", value, f"{expected}; no such file: build the plugin first")
    if size > MAX_JAR_BYTES:
        raise ConfigError("pluginJar", value, f"{expected}; this file has {size} bytes")
    return path
