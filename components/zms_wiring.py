"""The Kubernetes side: what ZMS needs next to it, and one server-side-apply patch of the
existing ZMS Deployment that wires it in.

The patch only adds fields the base Deployment does not set: a DeploymentPatch owns the fields it sets and, on
`pulumi destroy`, gives them up, which removes every field no other manager owns. So it
never touches JAVA_OPTS, USER_CLASSPATH or anything else the base sets, and never forces
ownership: destroy then leaves ZMS exactly as it was.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.sending_user import SendingUser

FIELD_MANAGER = "athenz-ses"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
CHECKSUM_ANNOTATION = "athenz-ses/checksum"
JAR_KEY = "ses-plugin.jar"
JAR_PATH = f"/usr/lib/jars/{JAR_KEY}"  # in USER_CLASSPATH=/usr/lib/jars/*:... of the base
PLUGIN_VOLUME = "athenz-ses-plugin"
LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "athenz-ses"}

# What the distribution's ZMS container already defines. The patch must never
# set these: destroy would remove them and break ZMS.
BASE_ENV = ("JAVA_OPTS", "USER_CLASSPATH", "CLASSPATH", "CONF_PATH", "ROOT")


@dataclass
class ZmsWiringArgs:
    namespace: str
    """Namespace of ZMS; it exists already and is never created or deleted."""
    deployment: str
    container: str
    system_properties: Mapping[str, str]
    """ZMS system properties, passed as -D flags in JDK_JAVA_OPTIONS."""
    service_account: Optional[str] = None
    """IRSA: the ServiceAccount to create and run ZMS as."""
    role_arn: Optional[pulumi.Input[str]] = None
    """IRSA: the role the ServiceAccount is annotated with."""
    aws_region: Optional[str] = None
    """Built-in notifier: AWS_REGION for the AWS SDK in ZMS (the SES Region; the SDK's
    region chain otherwise ends at us-east-1)."""
    user: Optional[SendingUser] = None
    """No IRSA: the IAM user's credentials, put in a Secret and handed to ZMS as env vars:
    AWS_SES_USER/AWS_SES_PASS (SMTP, the plugin) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."""
    plugin_jar: Optional[Path] = None
    """Plugin: the jar to ship in a ConfigMap and mount on ZMS's classpath."""


def java_options(properties: Mapping[str, str]) -> str:
    return " ".join(f"-D{key}={value}" for key, value in properties.items())


class ZmsWiring(pulumi.ComponentResource):
    patch: k8s.apps.v1.DeploymentPatch
    checksum: pulumi.Output[str]
    """Fingerprint of everything the ZMS pods read (the pod-template annotation)."""
    service_account_name: Optional[str]
    secret_name: Optional[str]
    config_map_name: Optional[str]

    def __init__(self, name: str, args: ZmsWiringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("athenz-ses:index:ZmsWiring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        mounted: list[pulumi.Resource] = []
        env: list[dict] = []
        pod: dict = {}
        container: dict = {"name": args.container}
        fingerprint: dict[str, pulumi.Input] = {"properties": dict(args.system_properties)}

        def meta(object_name: str, **extra) -> dict:
            return {"name": object_name, "namespace": args.namespace, "labels": LABELS, **extra}

        self.service_account_name = args.service_account
        if args.service_account:
            mounted.append(k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata=meta(args.service_account, annotations={ROLE_ARN_ANNOTATION: args.role_arn}),
                opts=child,
            ))
            # Own the deprecated alias too: the API server copies serviceAccountName into it,
            # and an alias nobody owns would bring the name back after destroy
            # (kubernetes/kubernetes#72519), pointing ZMS at a deleted ServiceAccount.
            pod.update(service_account_name=args.service_account, service_account=args.service_account)
            fingerprint.update(service_account=args.service_account, role_arn=args.role_arn)
        if args.aws_region:
            env.append({"name": "AWS_REGION", "value": args.aws_region})
            fingerprint.update(region=args.aws_region)

        self.secret_name = None
        if args.user:
            user = args.user
            if user.smtp_password is not None:
                self.secret_name = f"{args.deployment}-ses-smtp"
                data = {"username": user.access_key_id, "password": user.smtp_password,
                        "host": user.smtp_host, "port": str(user.smtp_port)}
                env_keys = {"AWS_SES_USER": "username", "AWS_SES_PASS": "password"}
            else:
                self.secret_name = f"{args.deployment}-ses-aws"
                data = {"access-key-id": user.access_key_id, "secret-access-key": user.secret_access_key}
                env_keys = {"AWS_ACCESS_KEY_ID": "access-key-id", "AWS_SECRET_ACCESS_KEY": "secret-access-key"}
            mounted.append(k8s.core.v1.Secret(
                f"{name}-{'smtp' if user.smtp_password is not None else 'aws'}-secret",
                metadata=meta(self.secret_name),
                type="Opaque",
                string_data=pulumi.Output.secret(data),
                opts=child,
            ))
            env += [{"name": var, "value_from": {"secret_key_ref": {"name": self.secret_name, "key": key}}}
                    for var, key in env_keys.items()]
            # The access key id changes whenever the secret does; no secret enters the
            # fingerprint, so the annotation is not a secret.
            fingerprint.update(access_key_id=user.access_key_id, smtp_host=user.smtp_host)

        self.config_map_name = None
        if args.plugin_jar:
            jar = args.plugin_jar.read_bytes()
            self.config_map_name = f"{args.deployment}-ses-plugin"
            mounted.append(k8s.core.v1.ConfigMap(
                f"{name}-plugin",
                metadata=meta(self.config_map_name),
                binary_data={JAR_KEY: base64.b64encode(jar).decode()},
                opts=child,
            ))
            pod["volumes"] = [{"name": PLUGIN_VOLUME, "config_map": {"name": self.config_map_name}}]
            container["volume_mounts"] = [
                {"name": PLUGIN_VOLUME, "mount_path": JAR_PATH, "sub_path": JAR_KEY, "read_only": True}
            ]
            fingerprint["jar_sha256"] = hashlib.sha256(jar).hexdigest()

        env.append({"name": "JDK_JAVA_OPTIONS", "value": java_options(args.system_properties)})
        container["env"] = env
        self.checksum = pulumi.Output.from_input(fingerprint).apply(
            lambda values: hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        )

        self.patch = k8s.apps.v1.DeploymentPatch(
            f"{name}-deployment-patch",
            metadata={
                "name": args.deployment,
                "namespace": args.namespace,
                # A stable field manager, so every `pulumi up` updates the same ownership
                # entry; no patchForce: a conflict with the base must fail, not be taken over.
                "annotations": {"pulumi.com/patchFieldManager": FIELD_MANAGER},
            },
            spec={
                "template": {
                    # Changes whenever anything the pods read changes, so they restart.
                    "metadata": {"annotations": {CHECKSUM_ANNOTATION: self.checksum}},
                    "spec": {**pod, "containers": [container]},
                }
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=mounted),
        )
        self.register_outputs({
            "serviceAccount": self.service_account_name,
            "secret": self.secret_name,
            "configMap": self.config_map_name,
        })
