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
ValueError: the defaults and rules live in `athenz_ses.args`, which the repository's
program uses for its stack config too. Args the send path does not use are ignored
(`athenz_ses.args.unused` names them, for a caller that wants to warn). What it cannot
check is the accounts: with `ses_provider` in another account, set `cross_account_mode`,
or ZMS's role would be allowed on identities of an account that does not trust it.

One per stack: its parts have fixed names (`ses`, `zms`, `zms-irsa`, ...), so a second
instance in the same stack would collide. Two ZMS are two stacks.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Required, TypedDict

import pulumi
import pulumi_aws as aws

from athenz_ses.args import (
    ACCESS_KEY,
    BUILTIN,
    EXISTING_ROLE,
    FEDERATED_ROLE,
    IRSA,
    PLUGIN,
    POD_IDENTITY,
    ROLE_CREDENTIALS,
    SENDING_AUTHORIZATION,
    SMTP,
    ArgsError,
    ResolvedArgs,
    problems,
    resolve,
    zms_service_account,
)
from athenz_ses.bounce_handling import BounceHandling, BounceHandlingArgs
from athenz_ses.delegated_sender import DelegatedSender, DelegatedSenderArgs
from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.names import content_hash, delegated_sender_name, stack_prefix
from athenz_ses.oidc_provider import ClusterOidcProvider, ClusterOidcProviderArgs
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
    """Kubernetes names and the patch's field manager; default `athenz-ses-<stack>`."""


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
        if resolved is not None:
            found = problems(resolved, stack_prefix(pulumi.get_stack()))
        if found or resolved is None:
            raise ArgsError("AthenzSesNotifications", found)
        self._build(name, resolved, opts)

    def _build(self, name: str, args: ResolvedArgs, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(f"{PACKAGE}:index:AthenzSesNotifications", name, None, opts)
        layout = LAYOUTS[args.zms_layout]
        prefix = args.name_prefix or stack_prefix(pulumi.get_stack())
        labels = stack_labels(prefix)
        roles_in_ses_account = args.cross_account_mode == FEDERATED_ROLE
        pod_identity = args.credentials == POD_IDENTITY
        sending_authorization = args.cross_account_mode == SENDING_AUTHORIZATION and bool(args.sender_service_accounts)

        # Stacks of versions before this component registered these at the stack's root:
        # the alias keeps their URNs, so nothing is replaced (an SES identity would need a
        # new verification click).
        def child(ses: bool = False) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self,
                aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)],
                providers=[args.ses_provider] if ses and args.ses_provider else None,
            )

        # 1. Bounce handling, the SES identities, and ZMS's credentials for its one send path.
        bounces: BounceHandling | None = None
        if args.bounce_handling:
            bounces = BounceHandling(
                "bounces",
                BounceHandlingArgs(
                    # The stack's prefix: letters, digits and '-', unique per stack.
                    configuration_set_name=prefix,
                    notify_emails=args.bounce_notification_emails,
                    account_suppression=args.account_suppression,
                    # A retained identity must not name a set that is gone.
                    retain_configuration_set=args.retain_identities,
                ),
                opts=child(ses=True),
            )
        identities = SesIdentities(
            "ses",
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
            ),
            opts=child(ses=True),
        )
        if args.hosted_zone_id is not None:
            dns_provider = args.dns_provider or args.ses_provider  # the zone's account
            SenderDomainDns(
                "sender-dns",
                SenderDomainDnsArgs(
                    zone_id=args.hosted_zone_id,
                    domain=args.sender_domain or "",
                    records=identities.dns_records,
                    retain_on_delete=args.retain_identities,  # a retained domain stays verified
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    providers=[dns_provider] if dns_provider else None,
                ),
            )

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
                "oidc",
                ClusterOidcProviderArgs(
                    issuer_url=args.oidc_issuer_url,
                    create=create,
                ),
                opts=child(ses=roles_in_ses_account),
            ).arn

        # Every send grant names the From addresses: an identity of a domain covers every
        # address of it. ZMS's own, and the one it really sends with if a plugin hard-codes another.
        from_addresses = sorted({args.sender_email, args.smoke_test_sender or args.sender_email})
        # ZMS's role's send policy (irsa, pod-identity, existing-role; a user holds its own).
        zms_send_policy: pulumi.Output[str] | None = (
            send_as(identities.send_arns, SEND_ACTIONS, from_addresses)
            if args.credentials in (*ROLE_CREDENTIALS, EXISTING_ROLE)
            else None
        )
        zms_role: IrsaRole | None = None
        service_account = zms_service_account(args, prefix)
        if args.credentials == IRSA:
            assert oidc_arn is not None and args.oidc_issuer_url is not None and zms_send_policy is not None
            role_opts = child(ses=roles_in_ses_account)
            zms_role = IrsaRole(
                "zms-irsa",
                IrsaRoleArgs(
                    oidc_provider_arn=oidc_arn,
                    issuer_url=args.oidc_issuer_url,
                    service_accounts=[f"{args.namespace}/{service_account}"],
                    inline_policies={"send": zms_send_policy},
                    description="Athenz ZMS notifications through Amazon SES",
                ),
                opts=role_opts,
            )

        # EKS Pod Identity: the roles live in the cluster account (EKS passes them there);
        # across accounts each chains into a target role of the SES account.
        cluster_arn: pulumi.Output[str] | None = None
        target_provider = args.ses_provider if pod_identity and args.cross_account_mode else None
        zms_pod_identity: PodIdentityRole | None = None
        if pod_identity:
            assert args.eks_cluster_name is not None and zms_send_policy is not None
            # Looked up, not assembled: the ARN is exact, and a wrong name stops the preview.
            cluster_arn = aws.eks.get_cluster_output(
                name=args.eks_cluster_name, opts=pulumi.InvokeOutputOptions(parent=self)
            ).arn
            zms_pod_identity = PodIdentityRole(
                "zms-pod-identity",
                PodIdentityRoleArgs(
                    cluster_name=args.eks_cluster_name,
                    cluster_arn=cluster_arn,
                    service_account=f"{args.namespace}/{service_account}",
                    inline_policies={"send": zms_send_policy},
                    target_provider=target_provider,
                    description="Athenz ZMS notifications through Amazon SES",
                ),
                opts=child(),
            )

        # The role ZMS already runs as: one inline policy of the stack's own on it, nothing else.
        zms_existing_role: aws.iam.RolePolicy | None = None
        if args.zms_role_arn is not None:
            zms_existing_role = aws.iam.RolePolicy(
                "zms-existing-role-send",
                role=pulumi.Output.from_input(args.zms_role_arn).apply(lambda arn: arn.rsplit("/", 1)[1]),
                name=f"{prefix}-ses-send",
                policy=zms_send_policy,
                opts=child(ses=True),
            )

        zms_user: SendingUser | None = None
        if args.credentials in (ACCESS_KEY, SMTP):
            zms_user = SendingUser(
                args.credentials,
                SendingUserArgs(
                    region=args.ses_region,
                    send_arns=identities.send_arns,
                    smtp=args.credentials == SMTP,
                    from_addresses=from_addresses,
                ),
                opts=child(ses=True),
            )
            zms_send_policy = zms_user.send_policy

        factory = (
            args.plugin_factory_class
            if args.notifier == PLUGIN and args.plugin_factory_class
            else BUILTIN_FACTORY_CLASS
        )
        local, domain = args.sender_email.split("@")
        properties = {
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
        zms_principal = zms_role or zms_pod_identity or zms_user or zms_existing_role
        zms = ZmsWiring(
            "zms",
            ZmsWiringArgs(
                namespace=args.namespace,
                name_prefix=prefix,
                deployment=args.zms_deployment or layout.deployment,
                container=args.zms_container or layout.container,
                base_env=layout.base_env,
                system_properties=properties,
                service_account=service_account if zms_role or zms_pod_identity else None,
                role_arn=zms_role.role_arn if zms_role else None,
                pod_identity=zms_pod_identity.association if zms_pod_identity else None,
                # ZMS's own role keeps ZMS's own Region: Athenz reads one Region for every AWS client.
                aws_region=args.ses_region if args.notifier == BUILTIN and args.zms_role_arn is None else None,
                user=zms_user,
                plugin_jar=Path(args.plugin_jar) if args.plugin_jar else None,
                smoke_test_recipient=zms_recipient if args.smoke_test else None,
                smoke_test_trigger=zms_send_policy,
                smoke_test_depends_on=[zms_principal] if zms_principal else [],
                # Credentials of the stack's own would replace those ZMS may have already.
                refuse_existing_credentials=(
                    f"keep them and set zms_role_arn (config athenz-ses:zmsRoleArn) to ZMS's role, so that the stack "
                    f"adds its send policy to that role instead of replacing ZMS's credentials "
                    f"(credentials={args.credentials} would cut every other AWS call of ZMS off)"
                    if args.credentials in (IRSA, POD_IDENTITY, ACCESS_KEY)
                    else None
                ),
            ),
            opts=child(),
        )

        # 2. Delegated senders: other workloads that send as the sender identity.
        senders: dict[str, DelegatedSender] = {}
        for key in args.sender_service_accounts:
            namespace, account = key.split("/")
            senders[key] = DelegatedSender(
                delegated_sender_name(namespace, account),
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
                ),
                opts=child(ses=roles_in_ses_account and not pod_identity),
            )
        sender_authorization = None
        if sending_authorization:
            sender_authorization = SenderAuthorization(
                "sender-authorization",
                SenderAuthorizationArgs(
                    identity=identities.sender_identity,
                    identity_arn=identities.sender_arn,
                    principal_arns=[sender.role_arn for sender in senders.values()],
                    from_addresses=[args.sender_email],
                ),
                opts=child(ses=True),
            )

        # 3. The first delegated sender's smoke test (ZMS's own runs inside ZmsWiring, before its patch).
        sender_smoke_test_job: pulumi.Output[str | None] | None = None
        if args.smoke_test and senders:
            first_key, first = next(iter(senders.items()))
            namespace, account = first_key.split("/")
            sender_smoke_test_job = SmokeTest(
                "sender-smoke-test",
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
                opts=child(),
            ).job_name
        smoke_test_job = zms.smoke_test_job.metadata.apply(lambda meta: meta.name) if zms.smoke_test_job else None

        # 4. Outputs.
        role = zms_role or zms_pod_identity
        role_arn = role.role_arn if role else args.zms_role_arn
        principal_arn = role_arn if role_arn is not None else zms_user.user_arn if zms_user else None
        assert principal_arn is not None
        self.zms_principal_arn = pulumi.Output.from_input(principal_arn)
        self.role_arn = pulumi.Output.from_input(role_arn)
        self.sender_identity_arn = identities.sender_arn
        self.recipient_identity_arns = identities.recipient_arns
        self.service_account = pulumi.Output.from_input(f"{args.namespace}/{service_account}" if role else None)
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
