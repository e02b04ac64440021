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
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pulumi
import pulumi_aws
import pulumi_kubernetes
import yaml

from athenz_ses import patterns
from athenz_ses.args import (
    ACCESS_KEY,
    ACCOUNT_ID,
    BUILTIN,
    EXISTING_ROLE,
    FEDERATED_ROLE,
    FIELDS,
    IRSA,
    PLUGIN,
    POD_IDENTITY,
    SENDING_AUTHORIZATION,
    SHAPES,
    UNKNOWN,
    ResolvedArgs,
    irsa_roles,
    jar_problems,
    problems,
    resolve,
    unused,
    zms_service_account,
)
from athenz_ses.names import stack_prefix
from athenz_ses.patterns import Problem
from athenz_ses.sending_user import SMTP_PORT
from athenz_ses.ses_endpoints import ses_partitions, smtp_host
from athenz_ses.zms_wiring import JAR_EXPECTED, LAYOUTS
from program.jar_constants import email_addresses, jar_string_constants, smtp_endpoints, smtp_findings

PROJECT = "athenz-ses"


PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"


@functools.cache
def _project(project_file: Path) -> dict[str, Any]:
    """Pulumi.yaml, read once a process (libyaml's loader where it is built: the same
    YAML as safe_load, a few milliseconds less of every plan)."""
    return yaml.load(project_file.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def config_schema(project_file: Path = PROJECT_FILE) -> dict[str, dict]:
    """Every key of the stack config with its declaration (type, description, and the
    static default if any), from Pulumi.yaml: `config` and `optionalConfig`."""
    project = _project(project_file)
    return {**project["config"], **project["optionalConfig"]}


def as_config_string(value: object) -> str:
    """A value of a YAML file as the CLI passes it to the program: true/false for
    booleans, JSON for lists and maps, the text of anything else."""
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def config_strings(**keys: object) -> dict[str, str]:
    """A stack config as the CLI passes it, for tests and examples: each key by name
    (`aws_region` is aws:region, the rest the project's), each value as_config_string."""
    return {
        ("aws:" + key[4:] if key.startswith("aws_") else f"{PROJECT}:{key}"): as_config_string(value)
        for key, value in keys.items()
    }


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

_REGION, _EMAIL, _JAVA_CLASS, _ROLE_ARN = patterns.REGION, patterns.EMAIL, patterns.JAVA_CLASS, patterns.ROLE_ARN
_PROFILE = re.compile(r"[A-Za-z0-9._+=@-]{1,128}")
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

    args: ResolvedArgs
    """The component's args from the config, defaults applied (its providers come later)."""
    region: str
    """aws:region: the cluster account's Region (the default provider's)."""
    cluster_account_id: str | None
    ses_role_arn: str | None
    ses_profile: str | None
    aws_profile: str | None
    cross_account_mode: str
    """crossAccountMode as configured: how the roles reach SES when it is in another account."""
    hosted_zone_account_id: str | None = None
    """The zone's account (bound: default the SES account)."""
    hosted_zone_role_arn: str | None = None
    """A role Pulumi assumes to reach the zone's account."""
    plugin_jar_findings: tuple[str, ...] = ()
    """Where the plugin jar ignores the config (hard-coded SMTP endpoint or From address)."""
    secrets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Secret config values by full key (only keys in SECRET_CAPABLE)."""
    stack: str = "dev"
    configured: frozenset[str] = frozenset()
    """The project keys the stack sets (for the keys that then have no effect)."""

    @property
    def ses_account_id(self) -> str | None:
        """The SES account, once known (configured, or bound to the cluster account)."""
        account = self.args.ses_account_id
        return account if isinstance(account, str) else None

    @property
    def ses_region(self) -> str:
        return self.args.ses_region

    @property
    def zms_deployment(self) -> str:
        """The ZMS Deployment the patch changes: zmsDeployment, else its layout's."""
        return self.args.zms_deployment or LAYOUTS[self.args.zms_layout].deployment

    @property
    def service_account_name(self) -> str:
        """ZMS's ServiceAccount of the stack (irsa, pod-identity)."""
        return zms_service_account(self.args)

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
        return self.args.hosted_zone_id is not None and (
            self.hosted_zone_account_id != self.ses_account_id or self.hosted_zone_role_arn is not None
        )

    @property
    def zms_uses_irsa(self) -> bool:
        return self.args.credentials == IRSA

    @property
    def pod_identity(self) -> bool:
        """ZMS and the delegated senders get their roles through EKS Pod Identity."""
        return self.args.credentials == POD_IDENTITY

    @property
    def irsa_roles(self) -> bool:
        """Does the stack create any IRSA role (ZMS's or a delegated sender's)?"""
        return irsa_roles(self.args)

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
            bool(self.args.sender_service_accounts)
            and self.cross_account
            and self.cross_account_mode == SENDING_AUTHORIZATION
        )

    @property
    def verified_recipients(self) -> tuple[str, ...]:
        return self.args.recipient_emails if self.args.sandbox else ()

    @property
    def smtp_host(self) -> str:
        """The SMTP endpoint the plugin really connects to: the one its jar hard-codes,
        else the SES Region's."""
        return self.args.smtp_host or smtp_host(self.ses_region)

    @property
    def smoke_test_sender(self) -> str:
        """The From address ZMS really sends with: the plugin's hard-coded one, if any."""
        return self.args.smoke_test_sender or self.args.sender_email

    def send_path(self) -> str:
        """One line: who sends, with which credentials, as which identity."""
        identity = (
            f"{self.smoke_test_sender} (domain identity {self.args.sender_domain})"
            if self.args.sender_domain
            else self.smoke_test_sender
        )
        where = f"identity {identity} of account {self.ses_account_id} in {self.ses_region}"
        if self.args.notifier == PLUGIN:
            how = (
                f"ZMS sends with the plugin {self.args.plugin_factory_class} over SMTP ({self.smtp_host}:{SMTP_PORT}) "
                f"with the SMTP password of an IAM user of account {self.ses_account_id}"
            )
        elif self.args.credentials == IRSA:
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount "
                f"{self.args.namespace}/{self.service_account_name} through IRSA "
                f"(role in account {self.role_account_id})"
            )
        elif self.pod_identity:
            chain = f", chained into a target role in account {self.ses_account_id}" if self.cross_account else ""
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount "
                f"{self.args.namespace}/{self.service_account_name} through EKS Pod Identity on cluster "
                f"{self.args.eks_cluster_name} (role in account {self.cluster_account_id}{chain})"
            )
        elif self.args.credentials == EXISTING_ROLE:
            how = (
                f"ZMS sends with the built-in SES notifier (SES v2 API) with the credentials it already has, of role "
                f"{self.args.zms_role_arn} (the stack added one inline send policy to it and left ZMS's "
                "ServiceAccount, "
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
        if self.args.sender_domain:
            where = (
                f"the stack created them in hosted zone {self.args.hosted_zone_id}"
                if self.args.hosted_zone_id
                else "create them in the domain's DNS"
            )
            verify.insert(
                0,
                f"Domain {self.args.sender_domain} is verified once SES finds its DKIM records (output "
                f"senderDnsRecords; {where}): usually minutes, at most 72 hours. Until then SES refuses "
                f"to send from it. Check, with credentials of account {self.ses_account_id}: aws sesv2 "
                f"get-email-identity --region {self.ses_region} --email-identity {self.args.sender_domain} "
                "(VerifiedForSendingStatus true).",
            )
        steps = [
            *verify,
            *(
                [
                    f"EKS Pod Identity needs the Pod Identity Agent on cluster {self.args.eks_cluster_name} "
                    "(the eks-pod-identity-agent add-on; built into EKS Auto Mode): without it ZMS gets no "
                    "credentials. Check with: kubectl get daemonset eks-pod-identity-agent -n kube-system"
                ]
                if self.pod_identity
                else []
            ),
            *(
                [
                    f"Amazon SNS has mailed a subscription confirmation to: "
                    f"{', '.join(self.args.bounce_notification_emails)}. Each must confirm it to be mailed bounces, "
                    "complaints and rejects."
                ]
                if self.args.bounce_notification_emails
                else []
            ),
            *([self.production_access_request()] if self.args.bounce_handling else []),
            "ZMS restarts with the new settings (the patch waits for the rollout)."
            + (
                ""
                if self.args.smoke_test
                else f" To have pulumi up first send one mail the way ZMS does, set {PROJECT}:smokeTest to true."
            ),
            "Trigger a notification: add a member to a self-serve or review-enabled Athenz role; "
            "ZMS mails the approvers at once. ZMS writes its log to a file in the pod, not to kubectl logs: "
            f"kubectl -n {self.args.namespace} exec deploy/{self.zms_deployment} -- find / -name '*.log' -path '*zms*'",
        ]
        if self.args.sender_service_accounts:
            how = (
                (
                    "name the sender identity ARN when they send (--source-arn, FromEmailAddressIdentityArn); "
                    "both accounts need SES production access"
                )
                if self.sending_authorization
                else "send as the sender address"
            )
            steps.append(
                f"Delegated senders ({', '.join(self.args.sender_service_accounts)}) "
                f"run as their ServiceAccount and {how}: see the output senderServiceAccounts."
            )
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))

    @property
    def addresses_to_verify(self) -> tuple[str, ...]:
        """The address identities SES mails a link to: the sender (unless its domain is the
        identity) and the sandbox recipients outside the sender domain."""
        domain = (self.args.sender_domain or "").lower()
        return tuple(
            dict.fromkeys(
                address
                for address in (*(() if domain else (self.args.sender_email,)), *self.verified_recipients)
                if address.split("@")[1].lower() != domain
            )
        )

    def production_access_request(self) -> str:
        """The SES production-access request this stack supports: reviewers ask how
        bounces and complaints are handled, and the stack's answer is in it."""
        users = f"users of {self.args.email_domain_to}" if self.args.email_domain_to else "its users"
        operators = (
            f", which mails {', '.join(self.args.bounce_notification_emails)}"
            if self.args.bounce_notification_emails
            else ""
        )
        use_case = (
            f"Athenz ZMS, our role-based access control server, sends transactional notification mails from "
            f"{self.args.sender_email} to {users} who must approve or review role memberships. Only Athenz users "
            "are mailed; no marketing, no purchased or rented lists. Every mail goes through configuration set "
            f"{self.name_prefix} (the default configuration set of the sending identity), which publishes "
            f"bounces, complaints, deliveries and rejects to an Amazon SNS topic{operators}"
            + (
                "; the account-level suppression list stops mail to addresses that bounced or complained."
                if self.args.account_suppression
                else "."
            )
        )
        where = f"account {self.ses_account_id} in {self.ses_region}"
        state = (
            f"If {where} is still in the SES sandbox, request production access"
            if not self.args.sandbox
            else f"To leave the SES sandbox ({where}), request production access, then set {PROJECT}:sandbox to false"
        )
        return (
            f"{state} (bounce topic: output bounceTopicArn): aws sesv2 put-account-details --region "
            f"{self.ses_region} --production-access-enabled --mail-type TRANSACTIONAL --website-url "
            f"https://<your Athenz UI> --use-case-description '{use_case}'"
        )

    def warnings(self) -> list[str]:
        found = []
        if self.sending_authorization and self.args.sandbox:
            found.append(
                "delegated senders send across accounts with sending authorization, which delivers only "
                f"when BOTH accounts are out of the SES sandbox (cluster account {self.cluster_account_id}, "
                f"SES account {self.ses_account_id}); set {PROJECT}:sandbox to false once they are, or use "
                f"{PROJECT}:crossAccountMode={FEDERATED_ROLE}"
            )
        if self.sending_authorization and self.args.bounce_handling and not self.args.smoke_test:
            found.append(
                "delegated senders send by sending authorization, and the sender identity has the bounce "
                f"configuration set as its default; AWS does not document whether SES applies account "
                f"{self.ses_account_id}'s default set to a delegate's send (if it does, the delegate would need "
                "permission on a set of another account, which no policy can give). Prove it once with "
                f"{PROJECT}:smokeTest=true (its second Job sends as {self.args.sender_service_accounts[0]}), "
                f"or set {PROJECT}:bounceHandling to false"
            )
        if self.args.recipient_emails and not self.args.sandbox:
            found.append(
                f"{PROJECT}:recipientEmails is ignored while {PROJECT}:sandbox is false: "
                "out of the sandbox recipients need no verification"
            )
        # A verified domain may be mailed in the sandbox: ZMS's users are, when they are all of it.
        users_in_sender_domain = bool(
            self.args.sender_domain
            and self.args.email_domain_to
            and self.args.sender_domain.lower() == self.args.email_domain_to.lower()
        )
        if self.args.sandbox and not self.verified_recipients and not users_in_sender_domain:
            found.append(
                f"{PROJECT}:sandbox is true and {PROJECT}:recipientEmails lists nobody: in the SES sandbox ZMS "
                "can only mail verified addresses, so its notifications will be rejected; list your approvers' "
                f"addresses, or set {PROJECT}:sandbox to false once the account has SES production access"
            )
        missing_links = [
            key
            for key, value in (("athenzUiUrl", self.args.athenz_ui_url), ("workflowUrl", self.args.workflow_url))
            if not value
        ]
        if self.args.notifier == BUILTIN and missing_links:
            found.append(
                " and ".join(f"{PROJECT}:{key}" for key in missing_links)
                + " unset: ZMS's mails link to the Athenz UI and the approval page through them, and without "
                "them the links read null (athenz.notification_athenz_ui_url, athenz.notification_workflow_url)"
            )
        if self.args.notifier == BUILTIN and self.args.email_domain_to:
            for recipient in self.verified_recipients:
                if recipient.split("@")[1].lower() != self.args.email_domain_to.lower():
                    found.append(
                        f"{PROJECT}:recipientEmails: {recipient} is not in {PROJECT}:emailDomainTo "
                        f"({self.args.email_domain_to}): ZMS mails users at <name>@{self.args.email_domain_to}, "
                        "never there"
                    )
        found += [
            f"{config_name(problem.arg)} has no effect {problem.words(config_name)}"
            for problem in unused(self.args, {arg for arg, key in ARG_KEYS.items() if key in self.configured})
        ]
        if "crossAccountMode" in self.configured and not (
            self.cross_account and (self.irsa_roles or self.pod_identity)
        ):
            found.append(
                f"{PROJECT}:crossAccountMode has no effect here: it places IRSA roles when SES is in another account"
            )
        found += self.plugin_jar_findings
        return found


def read_stack_config() -> Mapping[str, str | None]:
    """The raw config strings of this stack, keyed as `namespace:key`: every key of the
    project's namespace, and every key the CLI passed (PULUMI_CONFIG) of the providers'
    namespaces or of a namespace one edit away from the project's, so that a misspelled key
    is reported instead of silently leaving its default in place."""
    project = pulumi.Config(PROJECT)
    passed = pulumi.runtime.get_config_env()
    raw: dict[str, str | None] = {f"{PROJECT}:{key}": project.get(key) for key in (*DEFAULTS, *RETIRED)}
    for full_key in passed:
        namespace, _, key = full_key.partition(":")
        if namespace == PROJECT:
            raw[full_key] = project.get(key)
        elif namespace in PROVIDER_ARGS or _one_edit(namespace, PROJECT):
            raw[full_key] = pulumi.Config(namespace).get(key)
    for full_key in ("aws:region", "aws:profile", "kubernetes:context"):  # read, set or not
        namespace, _, key = full_key.partition(":")
        raw[full_key] = pulumi.Config(namespace).get(key)
    return raw


def _camel_keys(provider_args: type) -> frozenset[str]:
    """The config keys of a provider: its ProviderArgs' parameters, in camelCase."""
    return frozenset(_camel(name) for name in inspect.signature(provider_args).parameters if name != "__self__")


PROVIDER_ARGS = {"aws": pulumi_aws.ProviderArgs, "kubernetes": pulumi_kubernetes.ProviderArgs}


@functools.cache
def provider_keys(namespace: str) -> frozenset[str]:
    """The keys a provider reads from its namespace of the stack config (`aws:region`): the
    parameters of the provider SDK's own ProviderArgs."""
    return _camel_keys(PROVIDER_ARGS[namespace])


def _one_edit(name: str, other: str) -> bool:
    """`name` differs from `other` by one inserted, deleted or replaced character (or two swapped)."""
    if name == other or abs(len(name) - len(other)) > 1:
        return False
    if len(name) == len(other):
        diffs = [i for i, (a, b) in enumerate(zip(name, other, strict=True)) if a != b]
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1 and name[diffs[0]] == other[diffs[1]]
        return len(diffs) == 1 or (swapped and name[diffs[1]] == other[diffs[0]])
    shorter, longer = sorted((name, other), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


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


# The config key of each component arg that has one: the arg in camelCase. The program
# turns them into the component's args; the component's rules check them (athenz_ses.args).
def _camel(arg: str) -> str:
    head, *rest = arg.split("_")
    return head + "".join(word.capitalize() for word in rest)


ARG_KEYS: dict[str, str] = {arg: _camel(arg) for arg in FIELDS if _camel(arg) in DEFAULTS}
# Keys the program reads itself before they become args: the accounts (bound to the
# credentials), the SES Region (default aws:region), the jar's path (relative to the project).
PROGRAM_ARGS = frozenset({"ses_account_id", "ses_region", "cross_account_mode", "plugin_jar"})
# Args without a key of their own, and the key a problem of theirs is reported under.
DERIVED_KEYS = {"smtp_host": "pluginJar", "smoke_test_sender": "pluginJar", "ses_provider": "sesRoleArn"}


def config_key(arg: str, raw: Mapping[str, str | None] | None = None) -> str:
    """The key a problem of `arg` is reported under."""
    if arg == "ses_region" and raw is not None and raw.get(f"{PROJECT}:sesRegion") is None:
        return "aws:region"
    return ARG_KEYS.get(arg) or DERIVED_KEYS.get(arg) or arg


def config_name(arg: str) -> str:
    """`arg` as the stack file spells it (athenz-ses:senderEmail)."""
    key = config_key(arg)
    return key if ":" in key else f"{PROJECT}:{key}"


def _parse(arg: str, key: str, value: str, declared: str | None) -> Any:
    """A config string in the type Pulumi.yaml declares for the key."""
    if declared == "boolean":
        return _bool(key, value)
    if declared == "array":
        expected = SHAPES[arg][1] if arg in SHAPES else "a list of strings"
        return tuple(_string_list(key, value, expected))
    return value


def _load_settings(
    raw: Mapping[str, str | None], project_dir: Path, secrets: Mapping[str, str], stack: str
) -> Settings:
    check = _Checks()
    _stack_file_keys(check, raw, secrets)

    def get(key: str) -> str | None:
        value = raw.get(f"{PROJECT}:{key}")
        return DEFAULTS[key] if value is None else value

    # 1. What only the stack file has: the providers' keys and the accounts.
    keys = _provider_keys(check, raw, get)
    # 2. The component's args, in the types Pulumi.yaml declares; its rules check them.
    values = _component_values(check, get, keys, project_dir, stack)
    jar_facts = _jar_facts(check, values, get("pluginJar"))
    resolved, found = resolve({arg: value for arg, value in values.items() if value is not BAD})
    if resolved is not None:
        found = problems(resolved)
        found += _stack_rules(resolved, keys.region, raw.get("kubernetes:context"), raw)
    for problem in found:
        check.add(ConfigError(config_key(problem.arg, raw), problem.value, problem.words(config_name)))
    check.raise_if_any()
    assert resolved is not None
    return Settings(
        args=resolved,
        region=keys.region,
        cluster_account_id=keys.cluster_account,
        ses_role_arn=keys.ses_role_arn,
        ses_profile=keys.ses_profile,
        aws_profile=keys.aws_profile,
        cross_account_mode=keys.cross_account_mode or FEDERATED_ROLE,
        hosted_zone_account_id=keys.zone_account,
        hosted_zone_role_arn=keys.zone_role,
        plugin_jar_findings=jar_facts,
        secrets=dict(secrets),
        stack=stack,
        # Keys set to something else than their static default (the CLI passes the
        # defaults Pulumi.yaml declares as config values too).
        configured=frozenset(
            name
            for name, value in ((k.split(":", 1)[1], v) for k, v in raw.items() if k.startswith(f"{PROJECT}:"))
            if value is not None and value != DEFAULTS.get(name)
        ),
    )


def _stack_file_keys(check: _Checks, raw: Mapping[str, str | None], secrets: Mapping[str, str]) -> None:
    """Secrets only where they can stay secret; no unknown or retired key."""
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
    for full_key in sorted(k for k in raw if raw[k] is not None):
        namespace, _, name = full_key.partition(":")
        if namespace == PROJECT and name in RETIRED:
            check.add(ConfigError(name, raw[full_key], RETIRED[name]))
        elif namespace == PROJECT and name not in DEFAULTS:
            check.add(ConfigError(name, raw[full_key], _unknown_key_hint(name)))
        elif namespace in PROVIDER_ARGS and name not in provider_keys(namespace):
            close = difflib.get_close_matches(name, sorted(provider_keys(namespace)), n=1, cutoff=0.6)
            hint = f"; did you mean {namespace}:{close[0]}?" if close else ""
            check.add(
                ConfigError(full_key, raw[full_key], f"a setting of the {namespace} provider (its ProviderArgs){hint}")
            )
        elif _one_edit(namespace, PROJECT):
            check.add(
                ConfigError(
                    full_key, raw[full_key], f"a key of {PROJECT}:, not {namespace}:; {_unknown_key_hint(name)}"
                )
            )


@dataclass(frozen=True)
class _ProviderKeys:
    """The keys that configure the program's AWS providers (BAD where they failed to parse)."""

    region: str
    aws_profile: str | None
    cluster_account: str | None
    ses_account: str | None
    ses_role_arn: str | None
    ses_profile: str | None
    zone_account: str | None
    zone_role: str | None
    cross_account_mode: str | None
    ses_region: str | None
    """sesRegion, else aws:region."""


def _provider_keys(check: _Checks, raw: Mapping[str, str | None], get: Callable[[str], str | None]) -> _ProviderKeys:
    region = check(_required_match, "aws:region", raw.get("aws:region"), _REGION, "an AWS Region such as eu-west-1")
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
    for key in ("hostedZoneAccountId", "hostedZoneRoleArn"):
        if get(key) is not None and get("hostedZoneId") is None:
            check.add(ConfigError(key, get(key), f"to be unset without {PROJECT}:hostedZoneId"))
    configured_region = get("sesRegion")
    partitions = ses_partitions()
    region_partition = partitions.get(region) if ok(region) else None
    ses_partition = partitions.get(configured_region) if configured_region is not None else None
    if region_partition and ses_partition and region_partition != ses_partition:
        check.add(
            ConfigError(
                "sesRegion",
                configured_region,
                f"a Region of the partition of aws:region {region} ({region_partition}): one stack's "
                "credentials and ARNs cannot span partitions",
            )
        )
    return _ProviderKeys(
        region=region,
        aws_profile=check(_optional_match, "aws:profile", raw.get("aws:profile"), _PROFILE, "an AWS profile name"),
        cluster_account=check(_account_id, "clusterAccountId", get("clusterAccountId")),
        ses_account=check(_account_id, "sesAccountId", get("sesAccountId")),
        ses_role_arn=role_arn,
        ses_profile=profile,
        zone_account=check(_account_id, "hostedZoneAccountId", get("hostedZoneAccountId")),
        zone_role=check(
            _optional_match,
            "hostedZoneRoleArn",
            get("hostedZoneRoleArn"),
            _ROLE_ARN,
            "an IAM role ARN such as arn:aws:iam::333333333333:role/pulumi-dns",
        ),
        cross_account_mode=get("crossAccountMode"),
        ses_region=configured_region if configured_region is not None else region if ok(region) else None,
    )


def _component_values(
    check: _Checks, get: Callable[[str], str | None], keys: _ProviderKeys, project_dir: Path, stack: str
) -> dict[str, Any]:
    """The component's args from the config: each key in its declared type, the jar's path
    from the project, and what the accounts tell so far (bind_accounts checks again)."""
    schema = config_schema()
    values: dict[str, Any] = {
        arg: check(_parse, arg, key, value, schema[key].get("type"))
        for arg, key in ARG_KEYS.items()
        if arg not in PROGRAM_ARGS and (value := get(key)) is not None
    }
    jar = get("pluginJar")
    if jar is not None:
        values["plugin_jar"] = check(_plugin_jar, jar, project_dir)
    ses, cluster = keys.ses_account, keys.cluster_account
    cross = ses is not None and cluster is not None and ok(ses, cluster) and ses != cluster
    values.update(
        ses_region=keys.ses_region,
        ses_account_id=next((account for account in (ses, cluster) if account and ok(account)), UNKNOWN),
        cross_account_mode=keys.cross_account_mode if cross else None,
        ses_provider=UNKNOWN if cross else None,
        name_prefix=stack_prefix(stack),
    )
    return {arg: value for arg, value in values.items() if value is not BAD}


def _stack_rules(args: ResolvedArgs, region: str, context: str | None, raw: Mapping[str, str | None]) -> list[Problem]:
    """Rules that need what only the stack has: the cluster's kubectl context and aws:region."""
    found = []
    if args.credentials == POD_IDENTITY and context is not None and context.startswith("kind-"):
        # The key that chose Pod Identity: credentials, or eksClusterName by default.
        chosen = "credentials" if raw.get(f"{PROJECT}:credentials") else "eks_cluster_name"
        found.append(
            Problem(
                chosen,
                getattr(args, chosen),
                f"no EKS Pod Identity here: kubernetes:context {context!r} is a kind cluster, and Pod Identity "
                f"only exists on EKS (not on kind, EKS Anywhere, Fargate or Windows nodes); use "
                f"credentials={ACCESS_KEY} on kind",
            )
        )
    if args.credentials == EXISTING_ROLE and args.ses_region != region:
        found.append(
            Problem(
                "ses_region",
                args.ses_region,
                f"aws:region ({region}) with {{zms_role_arn}}: ZMS keeps its own AWS Region (AWS_REGION from EKS, "
                "or its node's), which Athenz uses for every AWS client it has (the SES notifier, and the RDS, S3 and "
                "SSM stores), so the stack does not set AWS_REGION and SES must be in ZMS's Region",
            )
        )
    return found


def _jar_facts(check: _Checks, values: dict[str, Any], configured_path: str | None) -> tuple[str, ...]:
    """What the plugin jar hard-codes: its SMTP endpoint and From address become the
    args smtp_host and smoke_test_sender; where it ignores the config, the warnings."""
    jar, factory = values.get("plugin_jar"), values.get("plugin_factory_class")
    if values.get("notifier") != PLUGIN or not isinstance(jar, Path) or jar_problems(jar):
        return ()  # the component's rules name what is wrong
    if not (isinstance(factory, str) and _JAVA_CLASS.fullmatch(factory)):
        return ()
    sender, domain_to = values.get("sender_email"), values.get("email_domain_to")
    if not (isinstance(sender, str) and _EMAIL.fullmatch(sender)) or not isinstance(values.get("ses_region"), str):
        return ()
    recipients = values.get("recipient_emails", ())
    # The domains the plugin must mail: emailDomainTo, else those of the sandbox recipients.
    domains = (
        (domain_to,)
        if domain_to
        else tuple(dict.fromkeys(r.split("@")[1].lower() for r in recipients if "@" in r))
        if values.get("sandbox", True)
        else ()
    )
    found = check(_jar_findings, configured_path, jar, factory, values["ses_region"], sender, domains)
    if found is BAD:
        return ()
    findings, hosts, addresses = found
    if len(hosts) == 1:
        values["smtp_host"] = hosts[0]
    if len(addresses) == 1:
        values["smoke_test_sender"] = addresses[0]
    return findings


def _plugin_jar(value: str, project_dir: Path) -> Path:
    """The jar's path, relative to the project; a missing file whose folder holds other
    jars is named as a typo (the component checks the file itself)."""
    expected = f"the path of the plugin jar, relative to the project ({JAR_EXPECTED})"
    if not value or "\x00" in value:
        raise ConfigError("pluginJar", value, expected)
    path = project_dir / value
    try:
        missing = not path.is_file()
        others = sorted(p.name for p in path.parent.glob("*.jar")) if missing and path.parent.is_dir() else []
    except (OSError, ValueError):
        others = []
    if others:
        raise ConfigError(
            "pluginJar", value, f"{expected}; no such file, but its folder holds {', '.join(others[:3])}: a typo?"
        )
    return path


def bind_accounts(settings: Settings, caller_account_id: str) -> Settings:
    """Fill in the accounts from the default provider's credentials and check them: the
    program's own rules, then the component's again, now that the accounts are known."""
    try:
        return _bind_accounts(settings, caller_account_id)
    except (ConfigError, ConfigErrors) as error:
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
    ses_account = settings.ses_account_id or cluster
    cross = ses_account != cluster
    bound = dataclasses.replace(
        settings,
        cluster_account_id=cluster,
        args=dataclasses.replace(
            settings.args,
            ses_account_id=ses_account,
            cross_account_mode=settings.cross_account_mode if cross else None,
            ses_provider=UNKNOWN if cross else None,
        ),
    )
    _role_in_account("sesRoleArn", bound.ses_role_arn, ses_account, "the SES account", "sesAccountId", "SES")
    if bound.args.hosted_zone_id is not None:
        zone_account = bound.hosted_zone_account_id or ses_account
        bound = dataclasses.replace(bound, hosted_zone_account_id=zone_account)
        _role_in_account(
            "hostedZoneRoleArn",
            bound.hosted_zone_role_arn,
            zone_account,
            "the hosted zone's account",
            "hostedZoneAccountId",
            "the zone",
        )
        if bound.hosted_zone_role_arn is None and zone_account not in (cluster, ses_account):
            raise ConfigError(
                "hostedZoneRoleArn",
                None,
                f"a role that reaches the hosted zone's account {zone_account} from the cluster account {cluster}",
            )
    if bound.cross_account and not (bound.ses_role_arn or bound.ses_profile):
        raise ConfigError(
            "sesRoleArn",
            None,
            f"a role (or {PROJECT}:sesProfile) that reaches SES account {ses_account} from the cluster account "
            f"{cluster}",
        )
    found = problems(bound.args)
    if found:
        errors = [ConfigError(config_key(p.arg), p.value, p.words(config_name)) for p in found]
        raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
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


def _bool(key: str, value: str | None) -> bool:
    if value not in ("true", "false", "True", "False"):
        raise ConfigError(key, value, "true or false")
    return value.lower() == "true"


def _string_list(key: str, value: str | None, expected: str) -> list[str]:
    """A list key as the CLI passes it (JSON); unset is the empty list."""
    try:
        parsed = json.loads(value) if value is not None else []
    except (ValueError, RecursionError):
        raise ConfigError(key, value, expected) from None
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        raise ConfigError(key, value, expected)
    return parsed


def _account_id(key: str, value: str | None) -> str | None:
    if value is None or ACCOUNT_ID.fullmatch(value):
        return value
    hint = ""
    if value.isascii() and value.isdigit() and len(value) < 12 and not value.startswith("0"):
        hint = (
            '; YAML read an unquoted number: write the id in quotes, such as "022222222222" '
            "(unquoted, leading zeros are dropped, or the number is read as octal)"
        )
    raise ConfigError(key, value, f"a 12-digit AWS account id (quote it in YAML){hint}")


def _unknown_key_hint(name: str) -> str:
    known = {key.lower(): key for key in (*DEFAULTS, *RETIRED)}
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    suggestion = f"; did you mean {PROJECT}:{known[close[0]]}?" if close else ""
    return f"a key this project knows (Pulumi.yaml lists them, docs/configuration.md explains them){suggestion}"


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
