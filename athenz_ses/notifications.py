"""AthenzSesNotifications: everything that makes one Athenz ZMS send its notification
emails through Amazon SES, for the one send path its args choose.

| notifier | credentials | what ZMS gets |
| --- | --- | --- |
| builtin | irsa | an IRSA role (sends as the sender identity) and a ServiceAccount |
| builtin | pod-identity | an EKS Pod Identity role, its association and a ServiceAccount (+ a target role) |
| builtin | access-key | an IAM user's access key, in a Secret, as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY |
| builtin | existing-role | nothing: the send policy goes onto the role ZMS already runs as (`zms_role_arn`) |
| plugin | smtp | an IAM user's SES SMTP password, in a Secret, and the plugin jar in a ConfigMap |

Across accounts, Pod Identity's role chains into a target role of the SES account.
Plus: the SES identities (the sender's address, or with `sender_domain` its domain with
Easy DKIM and a custom MAIL FROM domain, and the recipients while in the sandbox), other
workloads that send as the sender (`sender_service_accounts`, one IRSA role each), the
server-side-apply patch of the existing ZMS Deployment, and optional smoke-test Jobs
that send the way ZMS does.

Providers: the default (or `opts.providers`) AWS provider is the cluster's account;
`ses_provider` reaches the SES account or Region when it differs. Kubernetes objects use
the default (or passed) Kubernetes provider.

Values a program usually holds as Outputs (the issuer URL, the OIDC provider ARN, the
SES account id) are `pulumi.Input`. What decides which resources exist (notifier,
credentials, cross_account_mode, the lists of addresses and ServiceAccounts) must be
plain values: Pulumi registers resources before Outputs resolve.

Before it registers anything, the component lists every problem of its args in one
ValueError (ArgsError): the defaults and rules live in `athenz_ses.args`, which the
repository's program uses for its stack config too. Args the send path does not use are
ignored (`athenz_ses.args.unused` names them, for a caller that wants to warn). What it
cannot check is the accounts: with `ses_provider` in another account, set
`cross_account_mode`, or ZMS's role would be allowed on identities of an account that
does not trust it.

Several per stack: every part is named after the component (`<name>-ses`,
`<name>-zms`, ..., their own parts after them), and its Kubernetes objects and field
manager after its name prefix (default `<name>-<stack>`), so two components with
different names, say one per ZMS, never collide. `upgrade_aliases` keeps the URNs and
Kubernetes names of a stack deployed by an earlier version, whose one component had
fixed part names (`ses`, `zms`, `zms-irsa`, ...).
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from athenz_ses.args import (
    ACCESS_KEY,
    EXISTING_ROLE,
    FEDERATED_ROLE,
    IRSA,
    PLUGIN,
    POD_IDENTITY,
    SENDING_AUTHORIZATION,
    SMTP,
    ArgsError,
    ResolvedArgs,
    problems,
    resolve,
    with_name_prefix,
    zms_service_account,
)
from athenz_ses.bounce_handling import BounceHandling, BounceHandlingArgs
from athenz_ses.delegated_sender import DelegatedSender, DelegatedSenderArgs
from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.names import (
    component_name_problems,
    content_hash,
    delegated_sender_name,
)
from athenz_ses.oidc_provider import ClusterOidcProvider, ClusterOidcProviderArgs
from athenz_ses.patterns import Problem
from athenz_ses.pod_identity import PodIdentityRole, PodIdentityRoleArgs
from athenz_ses.policies import SEND_ACTIONS, send_as
from athenz_ses.sender_authorization import SenderAuthorization, SenderAuthorizationArgs
from athenz_ses.sender_domain import SenderDomainDns, SenderDomainDnsArgs
from athenz_ses.sender_domain import as_output as records_output
from athenz_ses.sending_user import SMTP_PORT, SendingUser, SendingUserArgs
from athenz_ses.ses_endpoints import smtp_host as region_smtp_host
from athenz_ses.ses_identities import SesIdentities, SesIdentitiesArgs
from athenz_ses.smoke_test import SIMULATOR, SmokeTest, SmokeTestArgs
from athenz_ses.zms_wiring import LAYOUTS, ZmsWiring, ZmsWiringArgs, stack_labels

PACKAGE = "athenz-ses"  # the type tokens' package, and the component provider's name
BUILTIN_FACTORY_CLASS = "io.athenz.server.aws.common.notification.impl.SESNotificationServiceFactory"


class AthenzSesNotificationsArgs(TypedDict, total=False):
    """The repository's config keys in snake_case (its Pulumi.yaml describes each), less
    the ones that configure its AWS providers (clusterAccountId, sesRoleArn, sesProfile:
    pass `ses_provider` instead), plus what a program may know better (oidc_provider_arn,
    smtp_host, smoke_test_sender, name_prefix). `cross_account_mode` is unset for "SES in
    the cluster's account". A TypedDict, as Pulumi's component provider host passes args
    to programs in other languages: call it like a class,
    `AthenzSesNotificationsArgs(sender_email=..., ...)`, or pass a dict. Unset keys take
    the defaults of `athenz_ses.args.ResolvedArgs` (tests keep them equal to Pulumi.yaml's)."""

    sender_email: Required[str]
    """The From address of ZMS's notifications; an SES identity is created for it."""
    ses_region: Required[str]
    """The SES Region (`ses_provider`'s, or the default provider's)."""
    ses_account_id: Required[pulumi.Input[str]]
    """The account that owns the SES identities (it goes into their ARNs)."""
    email_domain_to: str | None
    """athenz.notification_email_domain_to: ZMS mails user.alice at alice@<domain>.
    Required with the built-in notifier (without it ZMS mails alice@null)."""
    athenz_ui_url: str | None
    """athenz.notification_athenz_ui_url: the Athenz UI the mails link to (unset, ZMS's
    expiry and review mails link to `null`)."""
    workflow_url: str | None
    """athenz.notification_workflow_url: the approval page the mails link to."""
    recipient_emails: Sequence[str] | None
    """Recipients verified as SES identities while in the sandbox."""
    sandbox: bool | None
    """The SES account is in the SES sandbox (recipients must be verified)."""
    namespace: str | None
    """ZMS's namespace; it must exist and is never created or deleted."""
    zms_layout: str | None
    """How ZMS was installed: distribution (ctyano/athenz-distribution) or helm (Athenz's
    own chart); it gives the defaults below and the env the patch must leave alone."""
    zms_deployment: str | None
    """The ZMS Deployment that gets patched; default: the layout's."""
    zms_container: str | None
    """The ZMS container in that Deployment; default: the layout's."""
    notifier: str | None
    """builtin (Athenz's SES v2 notifier) or plugin (a NotificationServiceFactory jar, SMTP)."""
    credentials: str | None
    """irsa, pod-identity, access-key or existing-role with the built-in notifier; smtp with
    the plugin."""
    zms_role_arn: pulumi.Input[str] | None
    """existing-role: the IAM role ZMS already runs as (its IRSA or Pod Identity role, or
    its nodes' instance profile role), in the SES account (the built-in notifier cannot use
    sending authorization). The component attaches its send policy to it (an inline policy
    of its own, deleted on destroy) and changes nothing else of how ZMS reaches AWS: no
    ServiceAccount, no AWS_REGION, no credential env. So `ses_region` must be ZMS's own
    Region (Athenz reads one Region for all its AWS clients)."""
    eks_cluster_name: pulumi.Input[str] | None
    """EKS Pod Identity (credentials=pod-identity): the cluster ZMS runs on, in the default
    provider's account and Region. Delegated senders then use Pod Identity too."""
    oidc_issuer_url: pulumi.Input[str] | None
    """The cluster's OIDC issuer (IRSA and delegated senders), with or without https://."""
    oidc_provider_arn: pulumi.Input[str] | None
    """The issuer's IAM OIDC provider, when the caller already has it (pulumi-eks makes
    one) in the account the roles live in; otherwise it is looked up or created."""
    create_oidc_provider: bool | None
    """Create the IAM OIDC provider instead of looking it up; default: create it when the
    roles live in the SES account (federated-role across accounts)."""
    service_account_name: str | None
    """IRSA: the ServiceAccount created for ZMS; default: the name prefix."""
    cross_account_mode: str | None
    """Unset: SES is in the cluster's account. Otherwise SES is in another account, reached
    through `ses_provider`, and this places the IRSA roles: federated-role (in the SES
    account) or sending-authorization (in the cluster account, with an identity policy;
    delegated senders only)."""
    ses_provider: aws.Provider | None
    """The AWS provider of the SES account (or Region), when it is not the default."""
    sender_service_accounts: Sequence[str] | None
    """Other workloads (`namespace/name`) that may send as sender_email, one IRSA role each."""
    plugin_jar: str | None
    """The plugin jar's path (notifier=plugin), shipped in a ConfigMap."""
    plugin_factory_class: str | None
    """The plugin's NotificationServiceFactory class (notifier=plugin)."""
    smtp_host: str | None
    """The SMTP endpoint the plugin really connects to; default: the SES Region's."""
    smoke_test_sender: str | None
    """The From address ZMS really sends with (a plugin may hard-code one); default sender_email."""
    smoke_test: bool | None
    """Send one mail the way ZMS does on `pulumi up` (and one as the first delegated sender)."""
    smoke_test_recipient: str | None
    """Out of the sandbox, whom the smoke tests mail; default SES's mailbox simulator
    (success@simulator.amazonses.com). In the sandbox: the first of recipient_emails."""
    retain_identities: bool | None
    """Keep the SES identities on `pulumi destroy`."""
    existing_identities: Sequence[str] | None
    """SES identities (the sender's address or domain, recipients) that exist already,
    verified by hand as the two articles do: adopted (imported) instead of created, and
    left in place by `pulumi destroy`."""
    bounce_handling: bool | None
    """A configuration set, the default of the sender identity, that publishes bounces,
    complaints, deliveries and rejects to an SNS topic, and the account-level suppression
    list on for bounces and complaints; default: on out of the sandbox."""
    bounce_notification_emails: Sequence[str] | None
    """Addresses subscribed to the topic (bounces, complaints and rejects only)."""
    account_suppression: bool | None
    """With bounce_handling: set the SES account's suppression list to bounces and
    complaints (an account-wide setting `pulumi destroy` leaves; let one stack per
    account and Region own it); default true."""
    sender_domain: str | None
    """Send as this domain (sender_email must be one of its addresses): a domain identity
    with Easy DKIM and a custom MAIL FROM domain instead of an identity of the address;
    the send policies name the domain identity."""
    mail_from_subdomain: str | None
    """The MAIL FROM domain is <mail_from_subdomain>.<sender_domain>; default `bounce`."""
    hosted_zone_id: pulumi.Input[str] | None
    """The Route 53 hosted zone of sender_domain: the DKIM, MX and SPF records are created
    there. Unset: the `sender_dns_records` output lists them for another DNS."""
    dns_provider: aws.Provider | None
    """The AWS provider of the hosted zone's account; default: the SES account's."""
    name_prefix: str | None
    """Kubernetes names and the patch's field manager; default `<component name>-<stack>`
    (`athenz-ses-<stack>` with upgrade_aliases): two components must not share one."""
    upgrade_aliases: bool | None
    """This component was deployed by an earlier version (which allowed one per stack and
    gave its parts fixed names, at the stack's root before the component existed): each
    part gets aliases to its URNs of then, so `pulumi up` replaces nothing (auto-named
    AWS and Kubernetes resources keep their physical names), and the default name_prefix
    is those versions' `athenz-ses-<stack>`. Set it on that one component only; default false."""
    tags: Mapping[str, str] | None
    """Tags of every AWS resource the component creates that takes them: the SES identities
    (not adopted ones: existing_identities keep their own) and configuration set, the SNS
    topic, the IAM roles, users and OIDC provider, the EKS Pod Identity associations. At
    most 50; keys not `aws:`."""
    permissions_boundary: pulumi.Input[str] | None
    """A managed policy ARN set as the permissions boundary of every IAM role and user the
    component creates. An AWS managed policy applies as it is; a customer managed one must
    exist in each account the component creates roles or users in (across accounts, the
    SES account's and the cluster account's) under the same path and name: each account
    gets its own of that name."""
    iam_path: str | None
    """The IAM path of every role and user the component creates (`/` or `/<path>/`, at
    most 512 characters); default `/` for roles and `/athenz-ses/` for users. A new path
    replaces the roles (IAM cannot move a role)."""


ZMS_ROLE_DESCRIPTION = "Athenz ZMS notifications through Amazon SES"


@dataclass(frozen=True)
class _Children:
    """Names and resource options of the component's children: `<component>-<part>`,
    so that two components of one program never share a URN (their own children are
    named after them in turn)."""

    parent: pulumi.Resource
    component: str
    """The component's name."""
    ses_provider: aws.Provider | None
    upgrade_aliases: bool

    def name(self, part: str) -> str:
        return f"{self.component}-{part}"

    def opts(self, part: str, ses: bool = False, provider: aws.Provider | None = None) -> pulumi.ResourceOptions:
        """The options of the child that earlier versions named `part`; `ses`: in the SES
        account (`ses_provider`), or in `provider`'s.

        With upgrade_aliases, two aliases keep its URN of those versions: `part` under the
        component, and `part` at the stack's root (versions before the component). The
        engine carries the alias a parent matched over to its children named after it
        (`<new name>-x` then matches `<old name>-x`), so every part of a part follows. An
        SES identity found again keeps its verification; an auto-named role, user or Job
        keeps its physical name."""
        chosen = provider or (self.ses_provider if ses else None)
        return pulumi.ResourceOptions(
            parent=self.parent,
            aliases=[pulumi.Alias(name=part), pulumi.Alias(name=part, parent=pulumi.ROOT_STACK_RESOURCE)]
            if self.upgrade_aliases
            else None,
            providers=[chosen] if chosen else None,
        )


def boundary_in(boundary: pulumi.Input[str], account: pulumi.Input[str]) -> pulumi.Output[str]:
    """The permissions boundary `boundary` as a policy of `account`: an AWS managed policy
    (`arn:aws:iam::aws:policy/...`) as it is, a customer managed one of the same path and name."""
    return pulumi.Output.all(boundary, account).apply(
        lambda v: re.sub(r"^(arn:[^:]+:iam::)[0-9]{12}:", lambda m: f"{m.group(1)}{v[1]}:", v[0])
    )


@dataclass(frozen=True)
class _Boundaries:
    """The permissions boundary of the roles and users the component creates, per account."""

    ses: pulumi.Input[str] | None
    """In the SES account."""
    cluster: pulumi.Input[str] | None
    """In the cluster account (the default provider's)."""

    def of(self, ses: bool) -> pulumi.Input[str] | None:
        return self.ses if ses else self.cluster


@dataclass(frozen=True)
class _PathInputs:
    """What every send path may build on: made before it, and shared with the delegated senders."""

    args: ResolvedArgs
    children: _Children
    prefix: str
    """The stack's name prefix (Kubernetes names, the patch's field manager)."""
    identities: SesIdentities
    from_addresses: Sequence[str]
    """The From addresses every send grant names."""
    service_account: str
    """The name of the ServiceAccount ZMS runs as with a role of the stack's own."""
    roles_in_ses_account: bool
    """federated-role: IRSA roles live in the SES account, beside the OIDC provider there."""
    oidc_arn: pulumi.Input[str] | None
    """IRSA: the issuer's IAM OIDC provider."""
    cluster_arn: pulumi.Input[str] | None
    """EKS Pod Identity: the cluster's ARN (looked up)."""
    target_provider: aws.Provider | None
    """EKS Pod Identity across accounts: the SES account, where the target role lives."""
    boundaries: _Boundaries

    def role_send_policy(self) -> pulumi.Output[str]:
        """The send policy of a role ZMS runs as (a user holds its own)."""
        return send_as(self.identities.send_arns, SEND_ACTIONS, self.from_addresses)


@dataclass(frozen=True)
class _SendPath:
    """What ZMS's one send path made, for the rest of the component: the same record for
    every path, so the wiring, the smoke test and the outputs never ask which one it was."""

    principal_arn: pulumi.Input[str]
    """The IAM role or user ZMS sends as."""
    send_policy: pulumi.Input[str]
    """The policy document of ZMS's credentials: a change runs the smoke test again."""
    smoke_test_depends_on: Sequence[pulumi.Resource]
    """What ZMS's credentials rest on (the role or user, with its policy)."""
    role_arn: pulumi.Input[str] | None = None
    """ZMS's role (irsa, pod-identity: the role its credentials belong to; existing-role)."""
    service_account: str | None = None
    """The ServiceAccount the stack creates and runs ZMS as (irsa, pod-identity)."""
    annotated_role_arn: pulumi.Input[str] | None = None
    """IRSA: the role that ServiceAccount is annotated with."""
    pod_identity: aws.eks.PodIdentityAssociation | None = None
    """EKS Pod Identity: that ServiceAccount's association."""
    user: SendingUser | None = None
    """access-key, smtp: the IAM user whose credentials ZMS gets from a Secret."""
    replaces_credentials: bool = False
    """ZMS gets credentials of the stack's own, which would replace any it has: the live
    ZMS is checked for its own first."""
    sets_region: bool = False
    """The patch sets AWS_REGION to the SES Region (the built-in notifier's SDK)."""


def _irsa(at: _PathInputs) -> _SendPath:
    """A role only ZMS's ServiceAccount may assume through the issuer, and that ServiceAccount."""
    args = at.args
    assert at.oidc_arn is not None and args.oidc_issuer_url is not None
    send_policy = at.role_send_policy()
    role = IrsaRole(
        at.children.name("zms-irsa"),
        IrsaRoleArgs(
            oidc_provider_arn=at.oidc_arn,
            issuer_url=args.oidc_issuer_url,
            service_accounts=[f"{args.namespace}/{at.service_account}"],
            inline_policies={"send": send_policy},
            description=ZMS_ROLE_DESCRIPTION,
            tags=args.tags,
            permissions_boundary=at.boundaries.of(ses=at.roles_in_ses_account),
            iam_path=args.iam_path,
        ),
        opts=at.children.opts("zms-irsa", ses=at.roles_in_ses_account),
    )
    return _role_path(role, send_policy, at.service_account, annotated_role_arn=role.role_arn)


def _pod_identity(at: _PathInputs) -> _SendPath:
    """A role EKS assumes for ZMS's ServiceAccount only, its association, and that
    ServiceAccount; across accounts the role chains into a target role of the SES account."""
    args = at.args
    assert args.eks_cluster_name is not None and at.cluster_arn is not None
    send_policy = at.role_send_policy()
    role = PodIdentityRole(
        at.children.name("zms-pod-identity"),
        PodIdentityRoleArgs(
            cluster_name=args.eks_cluster_name,
            cluster_arn=at.cluster_arn,
            service_account=f"{args.namespace}/{at.service_account}",
            inline_policies={"send": send_policy},
            target_provider=at.target_provider,
            description=ZMS_ROLE_DESCRIPTION,
            tags=args.tags,
            # The association role lives in the cluster account, the target role in the SES account.
            permissions_boundary=at.boundaries.of(ses=False),
            target_permissions_boundary=at.boundaries.of(ses=True),
            iam_path=args.iam_path,
        ),
        opts=at.children.opts("zms-pod-identity"),
    )
    return _role_path(role, send_policy, at.service_account, pod_identity=role.association)


def _role_path(
    role: IrsaRole | PodIdentityRole, send_policy: pulumi.Input[str], service_account: str, **how: Any
) -> _SendPath:
    """ZMS runs as a ServiceAccount of the stack with this role (which replaces any
    credentials it has), in the SES Region; `how`: the annotation or the association."""
    return _SendPath(
        principal_arn=role.role_arn,
        send_policy=send_policy,
        smoke_test_depends_on=[role],
        role_arn=role.role_arn,
        service_account=service_account,
        replaces_credentials=True,
        sets_region=True,
        **how,
    )


def _sending_user(at: _PathInputs, part: str, smtp: bool) -> SendingUser:
    """An IAM user of the SES account that may only send as the identities, and its key."""
    args = at.args
    return SendingUser(
        at.children.name(part),
        SendingUserArgs(
            region=args.ses_region,
            send_arns=at.identities.send_arns,
            smtp=smtp,
            from_addresses=at.from_addresses,
            tags=args.tags,
            permissions_boundary=at.boundaries.of(ses=True),
            iam_path=args.iam_path,
        ),
        opts=at.children.opts(part, ses=True),
    )


def _access_key(at: _PathInputs) -> _SendPath:
    """The built-in notifier with an IAM user's access key, from a Secret, as
    AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (which would replace any credentials ZMS has)."""
    user = _sending_user(at, ACCESS_KEY, smtp=False)
    return _SendPath(
        principal_arn=user.user_arn,
        send_policy=user.send_policy,
        smoke_test_depends_on=[user],
        user=user,
        replaces_credentials=True,
        sets_region=True,
    )


def _smtp(at: _PathInputs) -> _SendPath:
    """The plugin with an IAM user's SES SMTP password, from a Secret (the plugin reads
    only that, and its own endpoint: no AWS_REGION)."""
    user = _sending_user(at, SMTP, smtp=True)
    return _SendPath(
        principal_arn=user.user_arn,
        send_policy=user.send_policy,
        smoke_test_depends_on=[user],
        user=user,
    )


def _existing_role(at: _PathInputs) -> _SendPath:
    """The role ZMS already runs as: one inline policy of the stack's own on it, nothing
    else (no ServiceAccount, no AWS_REGION: Athenz reads one Region for every AWS client)."""
    args = at.args
    assert args.zms_role_arn is not None
    send_policy = at.role_send_policy()
    policy = aws.iam.RolePolicy(
        at.children.name("zms-existing-role-send"),
        role=pulumi.Output.from_input(args.zms_role_arn).apply(lambda arn: arn.rsplit("/", 1)[1]),
        name=f"{at.prefix}-ses-send",
        policy=send_policy,
        opts=at.children.opts("zms-existing-role-send", ses=True),
    )
    return _SendPath(
        principal_arn=args.zms_role_arn,
        send_policy=send_policy,
        smoke_test_depends_on=[policy],
        role_arn=args.zms_role_arn,
    )


SEND_PATHS: dict[str, Callable[[_PathInputs], _SendPath]] = {
    IRSA: _irsa,
    POD_IDENTITY: _pod_identity,
    ACCESS_KEY: _access_key,
    SMTP: _smtp,
    EXISTING_ROLE: _existing_role,
}
"""ZMS's send paths by `credentials`: each builds ZMS's credentials and says what it made."""


def zms_system_properties(args: ResolvedArgs) -> dict[str, str]:
    """The -D flags the patch gives ZMS: the notifier's factory, the From address, and the
    links and recipient domain that are set."""
    factory = (
        args.plugin_factory_class if args.notifier == PLUGIN and args.plugin_factory_class else BUILTIN_FACTORY_CLASS
    )
    local, domain = args.sender_email.split("@")
    return {
        "athenz.zms.notification_service_factory_class": factory,
        "athenz.notification_email_from": local,
        "athenz.notification_email_domain_from": domain,
        **{
            key: value
            for key, value in (
                ("athenz.notification_email_domain_to", args.email_domain_to),
                ("athenz.notification_athenz_ui_url", args.athenz_ui_url),
                ("athenz.notification_workflow_url", args.workflow_url),
            )
            if value
        },
    }


def _boundaries(args: ResolvedArgs, component: pulumi.Resource) -> _Boundaries:
    """permissions_boundary in each account the component creates roles or users in. Across
    accounts the cluster account's id (for its policy of the boundary's path and name) is
    looked up through the component's default provider."""
    if args.permissions_boundary is None:
        return _Boundaries(ses=None, cluster=None)
    ses = boundary_in(args.permissions_boundary, args.ses_account_id)
    if not args.cross_account_mode:
        return _Boundaries(ses=ses, cluster=ses)  # SES is in the cluster's account
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=component)).account_id
    return _Boundaries(ses=ses, cluster=boundary_in(args.permissions_boundary, account))


class AthenzSesNotifications(pulumi.ComponentResource):
    """See the module docstring. Every attribute below is also a registered output."""

    zms_principal_arn: pulumi.Output[str]
    """The IAM role or user ZMS sends as."""
    role_arn: pulumi.Output[str | None]
    """ZMS's role (irsa; pod-identity: the role its credentials belong to, the target role
    across accounts)."""
    sender_identity_arn: pulumi.Output[str]
    """The SES identity ZMS sends as."""
    recipient_identity_arns: pulumi.Output[list[str]]
    """The recipients verified while in the sandbox."""
    service_account: pulumi.Output[str | None]
    """ZMS's ServiceAccount as namespace/name (irsa, pod-identity)."""
    smtp_endpoint: pulumi.Output[str | None]
    """host:port the plugin sends to (credentials=smtp)."""
    sender_service_account_roles: pulumi.Output[dict[str, dict[str, str]]]
    """namespace/name -> {roleArn, and sourceArn when the workload must name it}."""
    zms_system_properties: pulumi.Output[dict[str, str]]
    """The -D flags the patch gives ZMS (in JDK_JAVA_OPTIONS)."""
    smoke_test_job: pulumi.Output[str | None]
    """The smoke-test Job's name (smoke_test)."""
    sender_smoke_test_job: pulumi.Output[str | None]
    """The first delegated sender's smoke-test Job's name."""
    zms_patch_urn: pulumi.Output[str]
    """The URN of the server-side-apply patch of the ZMS Deployment."""
    configuration_set_name: pulumi.Output[str | None]
    """The configuration set of the sender identity (bounce_handling)."""
    bounce_topic_arn: pulumi.Output[str | None]
    """The SNS topic SES publishes bounces, complaints, deliveries and rejects to (bounce_handling)."""
    sender_dns_records: pulumi.Output[list[dict[str, str]]]
    """sender_domain: the records SES needs, [{name, type, value}] (three DKIM CNAMEs, the
    MAIL FROM MX and SPF TXT); created in hosted_zone_id when given."""

    def __init__(self, name: str, args: AthenzSesNotificationsArgs, opts: pulumi.ResourceOptions | None = None):
        # `args` is the TypedDict (a plain dict from the component provider host, with
        # only the keys given); _build works on the checked values with defaults applied.
        resolved, found = resolve(args)
        found += [Problem("name", name, expected) for expected in component_name_problems(name)]
        if resolved is not None and not found:
            resolved = with_name_prefix(resolved, name, pulumi.get_stack())
            found = problems(resolved)
        if found or resolved is None:
            raise ArgsError("AthenzSesNotifications", found)
        self._build(name, resolved, opts)

    def _build(self, name: str, args: ResolvedArgs, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(f"{PACKAGE}:index:AthenzSesNotifications", name, None, opts)
        layout = LAYOUTS[args.zms_layout]
        assert args.name_prefix is not None  # its default applied above
        prefix = args.name_prefix
        labels = stack_labels(prefix)
        roles_in_ses_account = args.cross_account_mode == FEDERATED_ROLE
        pod_identity = args.credentials == POD_IDENTITY
        sending_authorization = args.cross_account_mode == SENDING_AUTHORIZATION and bool(args.sender_service_accounts)
        children = _Children(self, name, args.ses_provider, bool(args.upgrade_aliases))
        boundaries = _boundaries(args, self)

        # 1. Bounce handling, and the SES identities (with the sender domain's DNS records).
        bounces: BounceHandling | None = None
        if args.bounce_handling:
            bounces = BounceHandling(
                children.name("bounces"),
                BounceHandlingArgs(
                    # The name prefix: letters, digits and '-', the component's own.
                    configuration_set_name=prefix,
                    notify_emails=args.bounce_notification_emails,
                    account_suppression=args.account_suppression,
                    # A retained identity must not name a set that is gone.
                    retain_configuration_set=args.retain_identities,
                    tags=args.tags,
                ),
                opts=children.opts("bounces", ses=True),
            )
        identities = SesIdentities(
            children.name("ses"),
            SesIdentitiesArgs(
                sender=args.sender_email,
                recipients=tuple(args.recipient_emails) if args.sandbox else (),
                region=args.ses_region,
                account_id=args.ses_account_id,
                retain_on_delete=args.retain_identities,
                domain=args.sender_domain,
                mail_from_subdomain=args.mail_from_subdomain,
                # SES applies it to ZMS's sends, which name no configuration set.
                configuration_set_name=bounces.configuration_set_name if bounces else None,
                existing=args.existing_identities,
                tags=args.tags,
            ),
            opts=children.opts("ses", ses=True),
        )
        if args.hosted_zone_id is not None:
            dns_provider = args.dns_provider or args.ses_provider  # the zone's account
            SenderDomainDns(
                children.name("sender-dns"),
                SenderDomainDnsArgs(
                    zone_id=args.hosted_zone_id,
                    domain=args.sender_domain or "",
                    records=identities.dns_records,
                    retain_on_delete=args.retain_identities,  # a retained domain stays verified
                ),
                opts=children.opts("sender-dns", provider=dns_provider),
            )

        # 2. What the cluster gives the roles of ZMS and of the delegated senders alike: the
        # issuer's IAM OIDC provider (IRSA), or the cluster's ARN (EKS Pod Identity).
        oidc_arn: pulumi.Input[str] | None = args.oidc_provider_arn
        if (
            oidc_arn is None
            and args.oidc_issuer_url is not None
            and (args.credentials == IRSA or (args.sender_service_accounts and not pod_identity))
        ):
            # Default: create it in the SES account (it rarely has the cluster's issuer yet), look
            # it up in the cluster account (EKS setups register it there).
            create = roles_in_ses_account if args.create_oidc_provider is None else args.create_oidc_provider
            oidc_arn = ClusterOidcProvider(
                children.name("oidc"),
                ClusterOidcProviderArgs(
                    issuer_url=args.oidc_issuer_url,
                    create=create,
                    tags=args.tags,
                ),
                opts=children.opts("oidc", ses=roles_in_ses_account),
            ).arn
        cluster_arn: pulumi.Output[str] | None = None
        if pod_identity:
            assert args.eks_cluster_name is not None
            # Looked up, not assembled: the ARN is exact, and a wrong name stops the preview.
            cluster_arn = aws.eks.get_cluster_output(
                name=args.eks_cluster_name, opts=pulumi.InvokeOutputOptions(parent=self)
            ).arn
        # EKS Pod Identity's roles live in the cluster account (EKS passes them there);
        # across accounts each chains into a target role of the SES account.
        target_provider = args.ses_provider if pod_identity and args.cross_account_mode else None

        # 3. ZMS's one send path (SEND_PATHS, by `credentials`). Every send grant names the
        # From addresses: ZMS's own, and the one it really sends with if a plugin hard-codes another.
        service_account = zms_service_account(args)
        assert args.credentials is not None  # resolve() gives it its default
        path = SEND_PATHS[args.credentials](
            _PathInputs(
                args=args,
                children=children,
                prefix=prefix,
                identities=identities,
                from_addresses=sorted({args.sender_email, args.smoke_test_sender or args.sender_email}),
                service_account=service_account,
                roles_in_ses_account=roles_in_ses_account,
                oidc_arn=oidc_arn,
                cluster_arn=cluster_arn,
                target_provider=target_provider,
                boundaries=boundaries,
            )
        )

        # 4. ZMS's wiring: the -D flags, what the path made for it, its smoke test, the patch.
        properties = zms_system_properties(args)
        smtp_host = args.smtp_host or region_smtp_host(args.ses_region)
        # Whom the smoke tests mail: a verified recipient in the sandbox; out of it the one
        # given, else SES's mailbox simulator (no bounce, no complaint, no quota).
        smoke_recipient = (
            args.recipient_emails[0]
            if args.sandbox and args.recipient_emails
            else args.smoke_test_recipient or SIMULATOR
        )
        # The plugin maps an Athenz principal to an address itself (its own domain).
        zms_recipient = f"user.{smoke_recipient.split('@')[0]}" if args.notifier == PLUGIN else smoke_recipient
        zms = ZmsWiring(
            children.name("zms"),
            ZmsWiringArgs(
                namespace=args.namespace,
                name_prefix=prefix,
                deployment=args.zms_deployment or layout.deployment,
                container=args.zms_container or layout.container,
                base_env=layout.base_env,
                system_properties=properties,
                service_account=path.service_account,
                role_arn=path.annotated_role_arn,
                pod_identity=path.pod_identity,
                aws_region=args.ses_region if path.sets_region else None,
                user=path.user,
                plugin_jar=Path(args.plugin_jar) if args.plugin_jar else None,
                smoke_test_recipient=zms_recipient if args.smoke_test else None,
                smoke_test_trigger=path.send_policy,
                smoke_test_depends_on=path.smoke_test_depends_on,
                # Credentials of the stack's own would replace those ZMS may have already.
                refuse_existing_credentials=(
                    f"keep them and set zms_role_arn (config athenz-ses:zmsRoleArn) to ZMS's role, so that the stack "
                    f"adds its send policy to that role instead of replacing ZMS's credentials "
                    f"(credentials={args.credentials} would cut every other AWS call of ZMS off)"
                    if path.replaces_credentials
                    else None
                ),
            ),
            opts=children.opts("zms"),
        )

        # 5. Delegated senders: other workloads that send as the sender identity.
        senders: dict[str, DelegatedSender] = {}
        for key in args.sender_service_accounts:
            namespace, account = key.split("/")
            senders[key] = DelegatedSender(
                delegated_sender_name(namespace, account, component=name),
                DelegatedSenderArgs(
                    namespace=namespace,
                    service_account=account,
                    # IRSA, or EKS Pod Identity as ZMS has it.
                    oidc_provider_arn=None if pod_identity else oidc_arn,
                    issuer_url=None if pod_identity else args.oidc_issuer_url,
                    eks_cluster_name=args.eks_cluster_name if pod_identity else None,
                    eks_cluster_arn=cluster_arn,
                    target_provider=target_provider,
                    # Across accounts by sending authorization only the sender identity counts.
                    send_arns=[identities.sender_arn] if sending_authorization else identities.send_arns,
                    from_addresses=[args.sender_email],
                    labels=labels,
                    tags=args.tags,
                    # Its role's account (Pod Identity: the association role's; a target role is the SES account's).
                    permissions_boundary=boundaries.of(ses=roles_in_ses_account and not pod_identity),
                    target_permissions_boundary=boundaries.of(ses=True) if target_provider else None,
                    iam_path=args.iam_path,
                ),
                opts=children.opts(
                    delegated_sender_name(namespace, account), ses=roles_in_ses_account and not pod_identity
                ),
            )
        sender_authorization = None
        if sending_authorization:
            sender_authorization = SenderAuthorization(
                children.name("sender-authorization"),
                SenderAuthorizationArgs(
                    identity=identities.sender_identity,
                    identity_arn=identities.sender_arn,
                    principal_arns=[sender.role_arn for sender in senders.values()],
                    from_addresses=[args.sender_email],
                ),
                opts=children.opts("sender-authorization", ses=True),
            )

        # 6. The first delegated sender's smoke test (ZMS's own runs inside ZmsWiring, before its patch).
        sender_smoke_test_job: pulumi.Output[str | None] | None = None
        if args.smoke_test and senders:
            first_key, first = next(iter(senders.items()))
            namespace, account = first_key.split("/")
            sender_smoke_test_job = SmokeTest(
                children.name("sender-smoke-test"),
                SmokeTestArgs(
                    namespace=namespace,
                    sender=args.sender_email,
                    recipient=smoke_recipient,
                    region=args.ses_region,
                    trigger=pulumi.Output.all(first.role_arn, first.send_policy).apply(
                        lambda parts: content_hash(*parts)
                    ),
                    service_account=account,
                    # Only across accounts by sending authorization does the workload name the identity.
                    source_arn=identities.sender_arn if sending_authorization else None,
                    depends_on=[first, *([sender_authorization] if sender_authorization else [])],
                    labels=labels,
                ),
                opts=children.opts("sender-smoke-test"),
            ).job_name
        smoke_test_job = zms.smoke_test_job.metadata.apply(lambda meta: meta.name) if zms.smoke_test_job else None

        # 7. Outputs.
        self.zms_principal_arn = pulumi.Output.from_input(path.principal_arn)
        self.role_arn = pulumi.Output.from_input(path.role_arn)
        self.sender_identity_arn = identities.sender_arn
        self.recipient_identity_arns = identities.recipient_arns
        self.service_account = pulumi.Output.from_input(
            f"{args.namespace}/{path.service_account}" if path.service_account else None
        )
        self.smtp_endpoint = pulumi.Output.from_input(f"{smtp_host}:{SMTP_PORT}" if args.credentials == SMTP else None)

        def roles(role_arn: pulumi.Output[str]) -> pulumi.Output[dict[str, str]]:
            if sending_authorization:
                return pulumi.Output.all(role_arn, identities.sender_arn).apply(
                    lambda arns: {"roleArn": arns[0], "sourceArn": arns[1]}
                )
            return role_arn.apply(lambda arn: {"roleArn": arn})

        no_senders: dict[str, dict[str, str]] = {}  # Output.all() of nothing would be a list
        self.sender_service_account_roles = (
            pulumi.Output.all(**{key: roles(sender.role_arn) for key, sender in senders.items()})
            if senders
            else pulumi.Output.from_input(no_senders)
        )
        self.zms_system_properties = pulumi.Output.from_input(properties)
        self.smoke_test_job = pulumi.Output.from_input(smoke_test_job)
        self.sender_smoke_test_job = pulumi.Output.from_input(sender_smoke_test_job)
        self.zms_patch_urn = zms.patch.urn
        self.configuration_set_name = pulumi.Output.from_input(bounces.configuration_set_name if bounces else None)
        self.bounce_topic_arn = pulumi.Output.from_input(bounces.topic_arn if bounces else None)
        self.sender_dns_records = records_output(identities.dns_records)
        self.register_outputs(
            {
                "zmsPrincipalArn": self.zms_principal_arn,
                "roleArn": self.role_arn,
                "senderIdentityArn": self.sender_identity_arn,
                "recipientIdentityArns": self.recipient_identity_arns,
                "serviceAccount": self.service_account,
                "smtpEndpoint": self.smtp_endpoint,
                "senderServiceAccountRoles": self.sender_service_account_roles,
                "zmsSystemProperties": self.zms_system_properties,
                "smokeTestJob": self.smoke_test_job,
                "senderSmokeTestJob": self.sender_smoke_test_job,
                "zmsPatchUrn": self.zms_patch_urn,
                "configurationSetName": self.configuration_set_name,
                "bounceTopicArn": self.bounce_topic_arn,
                "senderDnsRecords": self.sender_dns_records,
            }
        )
