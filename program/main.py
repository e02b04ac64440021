"""The Pulumi program of this repository: one stack per environment, from its config.

`__main__.py` calls `main()`; the offline plan and the tests call it too, under the
SDK's mock engine. It reads and validates the config (program.settings), builds the
AWS provider of the SES account when it differs, instantiates one
AthenzSesNotifications, and exports its outputs. No resource logic lives here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pulumi
import pulumi_aws as aws

from athenz_ses.notifications import AthenzSesNotifications, AthenzSesNotificationsArgs
from program.settings import (
    PROJECT,
    Settings,
    bind_accounts,
    load_settings,
    read_stack_config,
    secret_config_keys,
)


def pinned_provider(
    settings: Settings,
    name: str,
    region: str,
    account_id: str,
    role: tuple[str, str | None],
    profile: tuple[str, str | None] | None = None,
) -> aws.Provider:
    """An explicit AWS provider that only works in `account_id`: through the role
    (config key, value) when it is set, with the profile (config key, value) if given.
    Explicit providers do not read aws:* config: the cluster account's profile is carried
    over otherwise, as the credentials that assume the role."""
    role_key, role_arn = role
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(role_arn=settings.secret_if_configured(role_key, role_arn), session_name=PROJECT)
        ]
        if role_arn
        else None,
        profile=(settings.secret_if_configured(*profile) if profile else None)
        or settings.secret_if_configured("aws:profile", settings.aws_profile),
    )


def ses_provider(settings: Settings) -> aws.Provider | None:
    """An explicit provider for the SES account (or Region) when it differs, else None."""
    if not settings.needs_ses_provider:
        return None
    assert settings.ses_account_id is not None
    return pinned_provider(
        settings,
        "ses",
        settings.ses_region,
        settings.ses_account_id,
        role=("sesRoleArn", settings.ses_role_arn),
        profile=("sesProfile", settings.ses_profile),
    )


def dns_provider(settings: Settings) -> aws.Provider | None:
    """An explicit provider for the hosted zone's account when the SES provider does not
    reach it: the cluster account's credentials, through hostedZoneRoleArn if set."""
    if not settings.needs_dns_provider:
        return None
    assert settings.hosted_zone_account_id is not None
    # Route 53 is global; the provider still needs a Region.
    return pinned_provider(
        settings,
        "dns",
        settings.region,
        settings.hosted_zone_account_id,
        role=("hostedZoneRoleArn", settings.hosted_zone_role_arn),
    )


def component_args(
    settings: Settings, provider: aws.Provider | None, zone_provider: aws.Provider | None = None
) -> AthenzSesNotificationsArgs:
    """The validated config, as the component's args, with the providers of its accounts.
    Stacks of earlier versions keep every URN (their parts had fixed names, the oldest at
    the root): upgrade_aliases."""
    args = {field.name: getattr(settings.args, field.name) for field in dataclasses.fields(settings.args)}
    return AthenzSesNotificationsArgs(
        **{**args, "ses_provider": provider, "dns_provider": zone_provider, "upgrade_aliases": True}
    )


def main(project_dir: Path | None = None) -> None:
    """Read config, validate, build providers, one component, exports.

    `project_dir`: where relative paths of the config (pluginJar) start; default the
    working directory, which the Pulumi CLI sets to the project's folder."""
    # 1. Config: all of it is validated before the first resource is registered.
    raw_config = read_stack_config()
    settings = load_settings(
        raw_config, project_dir or Path.cwd(), secret_keys=secret_config_keys(raw_config), stack=pulumi.get_stack()
    )
    # The default AWS provider is the cluster account; wrong credentials stop here.
    settings = bind_accounts(settings, aws.get_caller_identity().account_id)
    for warning in settings.warnings():
        pulumi.log.warn(warning)

    # 2. Providers, 3. the component.
    notifications = AthenzSesNotifications(
        PROJECT, component_args(settings, ses_provider(settings), dns_provider(settings))
    )

    # 4. Outputs.
    pulumi.export("sendPath", settings.send_path())
    pulumi.export("zmsPrincipalArn", notifications.zms_principal_arn)
    pulumi.export("roleArn", notifications.role_arn)
    pulumi.export("senderIdentityArn", notifications.sender_identity_arn)
    pulumi.export("recipientIdentityArns", notifications.recipient_identity_arns)
    pulumi.export("sesAccountId", settings.ses_account_id)
    pulumi.export("sesRegion", settings.ses_region)
    pulumi.export("smtpEndpoint", notifications.smtp_endpoint)
    pulumi.export("serviceAccount", notifications.service_account)
    pulumi.export("senderServiceAccounts", notifications.sender_service_account_roles)
    pulumi.export("zmsSystemProperties", notifications.zms_system_properties)
    pulumi.export("smokeTestJob", notifications.smoke_test_job)
    pulumi.export("senderSmokeTestJob", notifications.sender_smoke_test_job)
    pulumi.export("configurationSetName", notifications.configuration_set_name)
    pulumi.export("bounceTopicArn", notifications.bounce_topic_arn)
    pulumi.export("senderDnsRecords", notifications.sender_dns_records)
    pulumi.export("nextSteps", settings.next_steps())
    # Destroying the patch gives its fields up with a server-side apply; when the ZMS
    # Deployment is already gone, that apply fails (it would create a Deployment from
    # nothing). There is then nothing left to give up: forget the patch, and destroy again.
    pulumi.export(
        "ifZmsIsGoneBeforeDestroy",
        pulumi.Output.concat("pulumi state delete --yes '", notifications.zms_patch_urn, "'"),
    )
