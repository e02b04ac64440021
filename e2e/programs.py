"""The inline programs the tests run: production components (ZmsWiring, its smoke test, SmokeTest) with
plain values where the real program has AWS resources' outputs (a role ARN, an IAM
user's keys), since no AWS provider exists here. They register no `aws:` resource and
call no `aws:` function."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from athenz_ses.notifications import BUILTIN_FACTORY_CLASS
from athenz_ses.smoke_test import SmokeTest, SmokeTestArgs
from athenz_ses.zms_wiring import LAYOUTS, ZmsWiring, ZmsWiringArgs

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::111111111111:role/athenz-ses-zms"
PLUGIN_FACTORY = "io.athenz.ses.SesNotificationServiceFactory"  # any class name: ZMS does not run here


def properties(sender: str = "athenz@example.com", factory: str = BUILTIN_FACTORY_CLASS) -> dict[str, str]:
    local, domain = sender.split("@")
    return {
        "athenz.zms.notification_service_factory_class": factory,
        "athenz.notification_email_from": local,
        "athenz.notification_email_domain_from": domain,
    }


def smtp_user() -> Any:
    """What ZmsWiring reads of a SendingUser (with SMTP), as plain values: stand-ins, no
    credential."""
    return SimpleNamespace(
        access_key_id="e2e-access-key-id",
        secret_access_key=None,
        smtp_password="e2e-not-a-password",
        smtp_host=f"email-smtp.{REGION}.amazonaws.com",
    )


def plugin_jar(folder: Path) -> Path:
    """A small jar (a zip) standing in for the plugin."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    path = folder / "ses-plugin.jar"
    path.write_bytes(buffer.getvalue())
    return path


@dataclass
class Wiring:
    """One stack's ZmsWiring: the layout it patches and how ZMS sends."""

    layout: str
    namespace: str
    name_prefix: str
    mode: str
    """"irsa" (built-in notifier: ServiceAccount with a role ARN, AWS_REGION) or "smtp"
    (plugin: an SMTP user's Secret and the jar in a ConfigMap)."""
    jar: Path | None = None
    deployment: str | None = None
    sender: str = "athenz@example.com"
    guard: bool = False
    """Read the live ZMS first and refuse one that already has AWS credentials."""
    outputs: dict[str, Any] = field(default_factory=dict)

    def args(self) -> ZmsWiringArgs:
        layout = LAYOUTS[self.layout]
        irsa = self.mode == "irsa"
        return ZmsWiringArgs(
            namespace=self.namespace,
            name_prefix=self.name_prefix,
            deployment=self.deployment or layout.deployment,
            container=layout.container,
            base_env=layout.base_env,
            system_properties=properties(self.sender, BUILTIN_FACTORY_CLASS if irsa else PLUGIN_FACTORY),
            service_account=f"{self.name_prefix}-zms" if irsa else None,
            role_arn=ROLE_ARN if irsa else None,
            aws_region=REGION if irsa else None,
            user=None if irsa else smtp_user(),
            plugin_jar=None if irsa else self.jar,
            refuse_existing_credentials="set zms_role_arn instead" if self.guard else None,
        )

    def program(self) -> Callable[[k8s.Provider], None]:
        def body(provider: k8s.Provider) -> None:
            wiring = ZmsWiring("zms", self.args(), opts=pulumi.ResourceOptions(providers=[provider]))
            pulumi.export("checksum", wiring.checksum)
            pulumi.export("fieldManager", wiring.field_manager)

        return body


@dataclass
class Smoke:
    """One stack's smoke-test Job: ZMS's own notifier (ZmsWiring with a smoke-test
    recipient, the Job before the patch), or a delegated sender's (SmokeTest)."""

    namespace: str
    mode: str
    """"zms-irsa" (distribution layout, the built-in notifier as the stack's ServiceAccount),
    "zms-smtp" (Helm layout, the plugin jar and the SMTP Secret) or "delegated"."""
    jar: Path | None = None

    SENDER_ACCOUNT = "athenz-ses-e2e-sender"
    RECIPIENT = "success@simulator.amazonses.com"

    def wiring(self) -> Wiring:
        layout = "distribution" if self.mode == "zms-irsa" else "helm"
        return Wiring(
            layout=layout,
            namespace=self.namespace,
            name_prefix="athenz-ses-smoke",
            mode="irsa" if self.mode == "zms-irsa" else "smtp",
            jar=self.jar,
        )

    def program(self) -> Callable[[k8s.Provider], None]:
        def body(provider: k8s.Provider) -> None:
            opts = pulumi.ResourceOptions(providers=[provider])
            if self.mode == "delegated":
                args = SmokeTestArgs(
                    namespace=self.namespace,
                    sender="athenz@example.com",
                    recipient=self.RECIPIENT,
                    region=REGION,
                    trigger="e2e",
                    service_account=self.SENDER_ACCOUNT,
                )
                pulumi.export("job", SmokeTest("smoke-test", args, opts=opts).job_name)
                return
            args = dataclasses.replace(self.wiring().args(), smoke_test_recipient=self.RECIPIENT)
            wiring = ZmsWiring("zms", args, opts=opts)
            assert wiring.smoke_test_job is not None
            pulumi.export("job", wiring.smoke_test_job.metadata.apply(lambda meta: meta.name))

        return body
