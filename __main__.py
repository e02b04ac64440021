"""Athenz ZMS notifications through Amazon SES: one stack per environment.

Reads and validates the config, builds the AWS providers, wires the components for
the one send path the config chooses (see settings.Settings.send_path). Resource logic
lives in components/; config rules live in settings.py.
"""

import pulumi
import pulumi_aws as aws

from components import (
    ClusterOidcProvider, ClusterOidcProviderArgs,
    DelegatedSender, DelegatedSenderArgs,
    IrsaRole, IrsaRoleArgs,
    SenderAuthorization, SenderAuthorizationArgs,
    SendingUser, SendingUserArgs,
    SesIdentities, SesIdentitiesArgs,
    SmokeTest, SmokeTestArgs,
    ZmsWiring, ZmsWiringArgs,
)
from components.names import content_hash, delegated_sender_name
from components.sending_user import SMTP_PORT
from settings import ACCESS_KEY, BUILTIN, IRSA, PROJECT, SMTP, bind_accounts, load_settings, read_stack_config, secret_config_keys

# 1. Config: all of it is validated before the first resource is registered.
raw_config = read_stack_config()
settings = load_settings(raw_config, secret_keys=secret_config_keys(raw_config), stack=pulumi.get_stack())
# The default AWS provider is the cluster account; wrong credentials stop here.
settings = bind_accounts(settings, aws.get_caller_identity().account_id)
for warning in settings.warnings():
    pulumi.log.warn(warning)

# 2. Providers: an explicit one for the SES account (or Region) when it differs.
ses_provider = None
if settings.needs_ses_provider:
    ses_provider = aws.Provider(
        "ses",
        region=settings.ses_region,
        allowed_account_ids=[settings.ses_account_id],
        assume_roles=[aws.ProviderAssumeRoleArgs(
            role_arn=settings.secret_if_configured("sesRoleArn", settings.ses_role_arn), session_name=PROJECT,
        )] if settings.ses_role_arn else None,
        # Explicit providers do not read aws:* config: carry the cluster account's profile
        # over, as the credentials that assume sesRoleArn (or reach another Region).
        profile=settings.secret_if_configured("sesProfile", settings.ses_profile)
        or settings.secret_if_configured("aws:profile", settings.aws_profile),
    )
ses_opts = pulumi.ResourceOptions(providers=[ses_provider]) if ses_provider else None
# IRSA roles (ZMS's and the delegated senders') live in the SES account with federated-role.
role_opts = ses_opts if settings.role_in_ses_account else None

# 3. The SES identities, and ZMS's credentials for its one send path.
identities = SesIdentities("ses", SesIdentitiesArgs(
    sender=settings.sender_email,
    recipients=settings.verified_recipients,
    region=settings.ses_region,
    account_id=settings.ses_account_id,
    retain_on_delete=settings.retain_identities,
), opts=ses_opts)

oidc = None
if settings.irsa_roles:
    assert settings.oidc_issuer_url is not None
    oidc = ClusterOidcProvider("oidc", ClusterOidcProviderArgs(
        issuer_url=settings.oidc_issuer_url, create=settings.create_oidc_provider,
    ), opts=role_opts)

zms_role = None
if settings.credentials == IRSA:
    assert oidc is not None
    zms_role = IrsaRole("zms-irsa", IrsaRoleArgs(
        oidc_provider_arn=oidc.arn,
        issuer_host=oidc.issuer_host,
        namespace=settings.namespace,
        service_account=settings.service_account_name,
        send_arns=identities.send_arns,
        description="Athenz ZMS notifications through Amazon SES",
    ), opts=role_opts)

zms_user = None
if settings.credentials in (ACCESS_KEY, SMTP):
    zms_user = SendingUser("smtp" if settings.credentials == SMTP else "access-key", SendingUserArgs(
        region=settings.ses_region, send_arns=identities.send_arns, smtp=settings.credentials == SMTP,
    ), opts=ses_opts)  # a new sesRegion replaces the access key (SMTP passwords are per Region)

zms = ZmsWiring("zms", ZmsWiringArgs(
    namespace=settings.namespace,
    name_prefix=settings.name_prefix,
    deployment=settings.zms_deployment,
    container=settings.zms_container,
    system_properties=settings.zms_system_properties,
    service_account=settings.service_account_name if zms_role else None,
    role_arn=zms_role.role_arn if zms_role else None,
    aws_region=settings.ses_region if settings.notifier == BUILTIN else None,
    user=zms_user,
    plugin_jar=settings.plugin_jar,
))

# 4. Delegated senders: other workloads that send as the sender identity.
senders: dict[str, DelegatedSender] = {}
for namespace, service_account in settings.sender_service_accounts:
    assert oidc is not None
    senders[f"{namespace}/{service_account}"] = DelegatedSender(
        delegated_sender_name(namespace, service_account),
        DelegatedSenderArgs(
            namespace=namespace,
            service_account=service_account,
            oidc_provider_arn=oidc.arn,
            issuer_host=oidc.issuer_host,
            # Across accounts by sending authorization only the sender identity counts.
            send_arns=[identities.sender_arn] if settings.sending_authorization else identities.send_arns,
            labels=settings.labels,
        ),
        opts=role_opts,
    )
sender_authorization = None
if settings.sending_authorization:
    sender_authorization = SenderAuthorization("sender-authorization", SenderAuthorizationArgs(
        identity=identities.sender_identity,
        identity_arn=identities.sender_arn,
        principal_arns=[sender.role_arn for sender in senders.values()],
    ), opts=ses_opts)

# 5. Smoke tests: ZMS's own path, and the first delegated sender's.
smoke_test = None
delegated_smoke_test = None
if settings.smoke_test:
    zms_send_policy = zms_role.send_policy if zms_role else zms_user.send_policy if zms_user else ""
    smoke_test = SmokeTest("smoke-test", SmokeTestArgs(
        namespace=settings.namespace,
        sender=settings.smoke_test_sender,
        recipient=settings.smoke_test_recipient,
        region=settings.ses_region,
        # Runs again when the wiring or ZMS's send permissions change.
        trigger=pulumi.Output.all(zms.checksum, zms_send_policy).apply(lambda parts: content_hash(*parts)),
        service_account=zms.service_account_name if settings.credentials == IRSA else None,
        access_key_secret=zms.secret_name if settings.credentials == ACCESS_KEY else None,
        smtp_secret=zms.secret_name if settings.credentials == SMTP else None,
        smtp_host=settings.smtp_host if settings.credentials == SMTP else None,
        depends_on=[zms.patch, zms_role or zms_user],  # and so the send policy
        labels=settings.labels,
    ))
    if senders:
        first = next(iter(senders.values()))
        namespace, service_account = settings.sender_service_accounts[0]
        delegated_smoke_test = SmokeTest("sender-smoke-test", SmokeTestArgs(
            namespace=namespace,
            sender=settings.sender_email,
            recipient=settings.smoke_test_recipient,
            region=settings.ses_region,
            trigger=pulumi.Output.all(first.role_arn, first.send_policy).apply(lambda parts: content_hash(*parts)),
            service_account=service_account,
            # Only across accounts by sending authorization does the workload name the identity.
            source_arn=identities.sender_arn if settings.sending_authorization else None,
            depends_on=[first, *([sender_authorization] if sender_authorization else [])],
            labels=settings.labels,
        ))

# 6. Outputs.
pulumi.export("sendPath", settings.send_path())
pulumi.export("zmsPrincipalArn", zms_role.role_arn if zms_role else zms_user.user_arn if zms_user else None)
pulumi.export("roleArn", zms_role.role_arn if zms_role else None)
pulumi.export("senderIdentityArn", identities.sender_arn)
pulumi.export("recipientIdentityArns", identities.recipient_arns)
pulumi.export("sesAccountId", settings.ses_account_id)
pulumi.export("sesRegion", settings.ses_region)
pulumi.export("smtpEndpoint", f"{settings.smtp_host}:{SMTP_PORT}" if settings.credentials == SMTP else None)
pulumi.export("serviceAccount", f"{settings.namespace}/{zms.service_account_name}" if zms_role else None)
pulumi.export("senderServiceAccounts", {
    key: {"roleArn": sender.role_arn, **({"sourceArn": identities.sender_arn} if settings.sending_authorization else {})}
    for key, sender in senders.items()
})
pulumi.export("zmsSystemProperties", settings.zms_system_properties)
pulumi.export("smokeTestJob", smoke_test.job_name if smoke_test else None)
pulumi.export("senderSmokeTestJob", delegated_smoke_test.job_name if delegated_smoke_test else None)
pulumi.export("nextSteps", settings.next_steps())
# Destroying the patch gives its fields up with a server-side apply; when the ZMS
# Deployment is already gone, that apply fails (it would create a Deployment from
# nothing). There is then nothing left to give up: forget the patch, and destroy again.
pulumi.export("ifZmsIsGoneBeforeDestroy", pulumi.Output.concat("pulumi state delete --yes '", zms.patch.urn, "'"))
