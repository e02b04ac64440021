"""Athenz ZMS notifications through Amazon SES: one stack per environment.

Reads and validates the config, builds the AWS providers, wires the components.
Resource logic lives in components/; config rules live in settings.py.
"""

import pulumi
import pulumi_aws as aws

from components import (
    IrsaRole, IrsaRoleArgs,
    SenderAuthorization, SenderAuthorizationArgs,
    SesIdentities, SesIdentitiesArgs,
    SmokeTest, SmokeTestArgs,
    SmtpCredentials, SmtpCredentialsArgs,
    ZmsWiring, ZmsWiringArgs,
)
from settings import PROJECT, bind_accounts, load_settings, read_stack_config, secret_config_keys

# 1. Config: all of it is validated before the first resource is registered.
raw_config = read_stack_config()
settings = load_settings(raw_config, secret_keys=secret_config_keys(raw_config))
# The default AWS provider is the cluster account; wrong credentials stop here.
settings = bind_accounts(settings, aws.get_caller_identity().account_id)
for warning in settings.warnings():
    pulumi.log.warn(warning)

# 2. Providers: an explicit one for the SES account (or Region) when it differs.
ses_opts = None
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
    ses_opts = pulumi.ResourceOptions(provider=ses_provider)

# 3. Components.
identities = SesIdentities("ses", SesIdentitiesArgs(
    sender=settings.sender_email,
    recipients=settings.verified_recipients,
    region=settings.ses_region,
    account_id=settings.ses_account_id,
    retain_on_delete=settings.retain_identities,
), opts=ses_opts)

role = None
sender_authorization = None
if settings.irsa:
    role = IrsaRole("zms-irsa", IrsaRoleArgs(
        issuer_url=settings.oidc_issuer_url,
        create_oidc_provider=settings.create_oidc_provider,
        namespace=settings.namespace,
        service_account=settings.service_account_name,
        send_arns=identities.send_arns,
    ), opts=ses_opts if settings.role_in_ses_account else None)
    if settings.sending_authorization:
        sender_authorization = SenderAuthorization("sender-authorization", SenderAuthorizationArgs(
            identity=identities.sender_identity,
            identity_arn=identities.sender_arn,
            principal_arn=role.role_arn,
        ), opts=ses_opts)

smtp = None
if settings.smtp_credentials:
    smtp = SmtpCredentials("smtp", SmtpCredentialsArgs(
        region=settings.ses_region, send_arns=identities.send_arns,
    ), opts=ses_opts)

zms = ZmsWiring("zms", ZmsWiringArgs(
    namespace=settings.namespace,
    deployment=settings.zms_deployment,
    container=settings.zms_container,
    system_properties=settings.zms_system_properties,
    service_account=settings.service_account_name if role else None,
    role_arn=role.role_arn if role else None,
    aws_region=settings.ses_region if role else None,
    smtp=smtp,
    plugin_jar=settings.plugin_jar,
))

smoke_test = None
if settings.smoke_test:
    # After IRSA is wired: the patch depends on the ServiceAccount and the Secret.
    smoke_test = SmokeTest("smoke-test", SmokeTestArgs(
        namespace=settings.namespace,
        sender=settings.sender_email,
        recipient=settings.smoke_test_recipient,
        region=settings.ses_region,
        trigger=zms.checksum,
        service_account=zms.service_account_name if role else None,
        source_arn=identities.sender_arn if settings.sending_authorization else None,
        smtp_secret=None if role else zms.secret_name,
        depends_on=[zms.patch, *([sender_authorization] if sender_authorization else [])],
    ))

# 4. Outputs.
pulumi.export("roleArn", role.role_arn if role else None)
pulumi.export("senderIdentityArn", identities.sender_arn)
pulumi.export("recipientIdentityArns", identities.recipient_arns)
pulumi.export("sesAccountId", settings.ses_account_id)
pulumi.export("sesRegion", settings.ses_region)
pulumi.export("smtpEndpoint", f"{smtp.host}:{smtp.port}" if smtp else None)
pulumi.export("serviceAccount", f"{settings.namespace}/{zms.service_account_name}" if role else None)
pulumi.export("zmsSystemProperties", settings.zms_system_properties)
pulumi.export("smokeTestJob", smoke_test.job_name if smoke_test else None)
pulumi.export("nextSteps", settings.next_steps())
