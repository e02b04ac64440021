"""The Kubernetes side: what ZMS needs next to it, and one server-side-apply patch of the
existing ZMS Deployment that wires it in.

Every name is the component's own (`name_prefix`, by default `<component name>-<stack>`),
and so is the patch's field manager: two stacks (or components) never delete each
other's objects or strip each other's fields, and a second one that patches the same
Deployment with other values fails with Kubernetes' field-manager conflict instead of
silently sharing it. The
Secret ZMS reads (env from secretKeyRef) and the ConfigMap it mounts are named after
their content (as kustomize's
generators do): a change creates the new object, repoints the patch (one rollout), and
only then deletes the old one, so a restarting ZMS pod always finds what it reads.

The patch only adds fields the base Deployment does not set: a DeploymentPatch owns the fields it sets and, on
`pulumi destroy`, gives them up, which removes every field no other manager owns. So it
never touches JAVA_OPTS, USER_CLASSPATH or anything else the base sets, and never forces
ownership: destroy then leaves ZMS exactly as it was.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from athenz_ses.live_zms import live_zms_check, read_zms
from athenz_ses.names import CHECKSUM_ANNOTATION, INSTANCE_LABEL, LABELS, content_hash
from athenz_ses.patterns import Problem
from athenz_ses.sending_user import SendingUser
from athenz_ses.smoke_test import ZmsSmokeTest, ZmsSmokeTestArgs

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
JAR_KEY = "ses-plugin.jar"
JAR_PATH = f"/usr/lib/jars/{JAR_KEY}"  # in USER_CLASSPATH=/usr/lib/jars/*:... of the base
PLUGIN_VOLUME = "athenz-ses-plugin"
# A ConfigMap's data may not exceed 1 MiB (the API server rejects it). The jar is the
# only sizeable thing in ours; keep a little room for the key and metadata.
CONFIGMAP_LIMIT_BYTES = 1024 * 1024
MAX_JAR_BYTES = CONFIGMAP_LIMIT_BYTES - 4 * 1024
# The longest object name the component makes: '<prefix>-plugin-<10 hex>', a DNS label.
MAX_NAME_PREFIX = 63 - len("-plugin-") - 10

# The env vars the patch sets, and the Secret keys they read.
SMTP_ENV = {"AWS_SES_USER": "username", "AWS_SES_PASS": "password"}
ACCESS_KEY_ENV = {"AWS_ACCESS_KEY_ID": "access-key-id", "AWS_SECRET_ACCESS_KEY": "secret-access-key"}
PATCH_ENV = ("JDK_JAVA_OPTIONS", "AWS_REGION", *SMTP_ENV, *ACCESS_KEY_ENV)


JAR_EXPECTED = f"a plugin jar of at most {MAX_JAR_BYTES} bytes (it travels in a ConfigMap)"


def limit_problems(name_prefix: str, jar_path: object, jar_bytes: int | None) -> list[Problem]:
    """Where the name prefix or the jar (its size) exceeds what Kubernetes takes."""
    problems = []
    if len(name_prefix) > MAX_NAME_PREFIX:
        problems.append(
            Problem(
                "name_prefix",
                name_prefix,
                f"at most {MAX_NAME_PREFIX} characters (the longest object name, <prefix>-plugin-<digest>, "
                "is a DNS label)",
            )
        )
    if jar_bytes is not None and jar_bytes > MAX_JAR_BYTES:
        problems.append(Problem("plugin_jar", jar_path, f"{JAR_EXPECTED}; this file has {jar_bytes} bytes"))
    return problems


def stack_labels(name_prefix: str) -> dict[str, str]:
    """LABELS and the stack's own `app.kubernetes.io/instance` (its name prefix)."""
    return {**LABELS, INSTANCE_LABEL: name_prefix}


# What the distribution's ZMS container already defines. The patch must never
# set these: destroy would remove them and break ZMS. The policy pack keeps its own
# copy of every layout's (policy_pack/rules.py); tests/test_policy_pack.py checks it.
BASE_ENV = ("JAVA_OPTS", "USER_CLASSPATH", "CLASSPATH", "CONF_PATH", "ROOT")


@dataclass(frozen=True)
class ZmsLayout:
    """Where an installation of ZMS keeps what the patch must find and leave alone."""

    deployment: str
    """The Deployment's default name."""
    container: str
    base_env: tuple[str, ...]
    """Env vars that ZMS's manifest or Athenz's own Dockerfile sets (not the base image's,
    JAVA_HOME, PATH, LANG and the like, which the patch has no reason to name either): the
    patch never sets them."""
    user_classpath: str
    """USER_CLASSPATH as ZMS starts with it: the jar is mounted into its first folder."""


LAYOUTS = {
    # ctyano/athenz-distribution's kustomize manifests (kubernetes/athenz-zms-server).
    "distribution": ZmsLayout("athenz-zms-server", "athenz-zms-server", BASE_ENV, "/usr/lib/jars/*:/athenz/plugins/*"),
    # Athenz's own chart (kubernetes/charts/athenz-zms), release `athenz`: the Deployment
    # is `<release>-athenz-zms`. The manifest sets the ZMS_* env; the image
    # (docker/zms/Dockerfile) JAVA_OPTS, CLASSPATH, USER_CLASSPATH and CONF_PATH.
    "helm": ZmsLayout(
        "athenz-athenz-zms",
        "zms",
        (
            "ZMS_DB_ADMIN_PASS",
            "ZMS_RODB_ADMIN_PASS",
            "ZMS_KEYSTORE_PASS",
            "ZMS_TRUSTSTORE_PASS",
            "ZMS_PORT",
            "JAVA_OPTS",
            "CLASSPATH",
            "USER_CLASSPATH",
            "CONF_PATH",
        ),
        "/usr/lib/jars/*",
    ),
}


@dataclass
class ZmsWiringArgs:
    namespace: str
    """Namespace of ZMS; it exists already and is never created or deleted."""
    name_prefix: str
    """The component's own prefix (`<component name>-<stack>`): object names and the field manager."""
    deployment: str
    container: str
    system_properties: Mapping[str, str]
    """ZMS system properties, passed as -D flags in JDK_JAVA_OPTIONS."""
    service_account: str | None = None
    """IRSA: the ServiceAccount to create and run ZMS as."""
    role_arn: pulumi.Input[str] | None = None
    """IRSA: the role the ServiceAccount is annotated with."""
    pod_identity: aws.eks.PodIdentityAssociation | None = None
    """EKS Pod Identity: the ServiceAccount's association (instead of role_arn; no
    annotation). The patch waits for it: EKS equips only pods created after it exists."""
    aws_region: str | None = None
    """Built-in notifier: AWS_REGION for the AWS SDK in ZMS (the SES Region; the SDK's
    region chain otherwise ends at us-east-1)."""
    user: SendingUser | None = None
    """No IRSA: the IAM user's credentials, put in a Secret and handed to ZMS as env vars:
    AWS_SES_USER/AWS_SES_PASS (SMTP, the plugin) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."""
    plugin_jar: Path | None = None
    """Plugin: the jar to ship in a ConfigMap and mount on ZMS's classpath."""
    base_env: Sequence[str] = BASE_ENV
    """Env vars the ZMS container already has (its layout's): never set by the patch."""
    smoke_test_recipient: str | None = None
    """Run ZMS's own notifier once (ZmsSmokeTest) before the patch, mailing this address
    or principal: the patch waits for it, so a failed send leaves ZMS unchanged."""
    smoke_test_trigger: pulumi.Input[str] | None = None
    """What else the smoke test depends on (the send policy): a change runs it again."""
    smoke_test_depends_on: Sequence[pulumi.Resource] = ()
    """What ZMS's credentials rest on (the role or user with its policy)."""
    refuse_existing_credentials: str | None = None
    """When set, the live Deployment is read first and the patch stops (at preview) if ZMS
    already has AWS credentials of its own (credential env, or a ServiceAccount with an
    IRSA role) that this wiring would replace; the text says what to use instead."""


def java_options(properties: Mapping[str, str]) -> str:
    return " ".join(f"-D{key}={value}" for key, value in properties.items())


class ZmsWiring(pulumi.ComponentResource):
    patch: k8s.apps.v1.DeploymentPatch
    checksum: pulumi.Output[str]
    """Fingerprint of everything the ZMS pods read (the pod-template annotation)."""
    field_manager: str
    service_account_name: str | None
    secret_name: pulumi.Output[str] | None
    config_map_name: str | None
    smoke_test_job: k8s.batch.v1.Job | None
    """The Job that ran ZMS's notifier before the patch (smoke_test_recipient)."""

    def __init__(self, name: str, args: ZmsWiringArgs, opts: pulumi.ResourceOptions | None = None):
        jar = args.plugin_jar.read_bytes() if args.plugin_jar else None
        size = len(jar) if jar is not None else None
        problems = [problem.message() for problem in limit_problems(args.name_prefix, args.plugin_jar, size)]
        if args.service_account and (args.role_arn is None) == (args.pod_identity is None):
            problems.append(
                "service_account needs either role_arn (IRSA: the role it is annotated with) "
                "or pod_identity (its EKS Pod Identity association)"
            )
        taken = sorted(set(PATCH_ENV) & set(args.base_env))
        if taken:
            problems.append(f"base_env sets {taken}: the patch would take them over")
        if problems:
            raise ValueError("ZmsWiring: " + "; ".join(problems))
        super().__init__("athenz-ses:index:ZmsWiring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.field_manager = args.name_prefix
        mounted: list[pulumi.Input[pulumi.Resource]] = []
        env: list[k8s.core.v1.EnvVarPatchArgsDict] = []
        pod: k8s.core.v1.PodSpecPatchArgsDict = {}
        container: k8s.core.v1.ContainerPatchArgsDict = {"name": args.container}
        fingerprint: dict[str, pulumi.Input] = {"properties": dict(args.system_properties)}

        def meta(object_name: pulumi.Input[str]) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": args.namespace, "labels": stack_labels(args.name_prefix)}

        self.service_account_name = args.service_account
        if args.service_account:
            account_meta = meta(args.service_account)
            if args.role_arn is not None:
                account_meta["annotations"] = {ROLE_ARN_ANNOTATION: args.role_arn}
                fingerprint.update(role_arn=args.role_arn)
            else:
                assert args.pod_identity is not None  # checked above
                mounted.append(args.pod_identity)
                fingerprint.update(
                    pod_identity_role=args.pod_identity.role_arn,
                    pod_identity_target=args.pod_identity.target_role_arn.apply(lambda arn: arn or ""),
                )
            mounted.append(
                k8s.core.v1.ServiceAccount(
                    f"{name}-service-account",
                    metadata=account_meta,
                    opts=child,
                )
            )
            # Own the deprecated alias too: the API server copies serviceAccountName into it,
            # and an alias nobody owns would bring the name back after destroy
            # (kubernetes/kubernetes#72519), pointing ZMS at a deleted ServiceAccount.
            pod.update(service_account_name=args.service_account, service_account=args.service_account)
            fingerprint.update(service_account=args.service_account)
        if args.aws_region:
            env.append({"name": "AWS_REGION", "value": args.aws_region})
            fingerprint.update(region=args.aws_region)

        self.secret_name = None
        if args.user:
            user = args.user
            smtp = user.smtp_password is not None
            if smtp:
                data = {"username": user.access_key_id, "password": user.smtp_password}
                env_keys = SMTP_ENV
            else:
                data = {"access-key-id": user.access_key_id, "secret-access-key": user.secret_access_key}
                env_keys = ACCESS_KEY_ENV
            kind = "smtp" if smtp else "aws"
            # Named after the content: the key id changes whenever the key (and so the
            # password) does, and the host with the Region. No secret enters the name.
            secret_name = pulumi.Output.all(user.access_key_id, user.smtp_host or "").apply(
                lambda parts, kind=kind: f"{args.name_prefix}-{kind}-{content_hash(*parts)}"
            )
            self.secret_name = secret_name
            mounted.append(
                k8s.core.v1.Secret(
                    f"{name}-{kind}-secret",
                    metadata=meta(secret_name),
                    type="Opaque",
                    string_data=pulumi.Output.secret(data),
                    opts=child,
                )
            )
            for var, key in env_keys.items():
                # A typed literal, not EnvVarPatchArgsDict(...): calling it would load the
                # provider's whole core/v1 input module (0.4 s) for a plain dict.
                from_secret: k8s.core.v1.EnvVarPatchArgsDict = {
                    "name": var,
                    "value_from": {"secret_key_ref": {"name": secret_name, "key": key}},
                }
                env.append(from_secret)
            fingerprint.update(secret=secret_name)

        self.config_map_name = None
        if jar is not None:
            self.config_map_name = f"{args.name_prefix}-plugin-{content_hash(hashlib.sha256(jar).hexdigest())}"
            mounted.append(
                k8s.core.v1.ConfigMap(
                    f"{name}-plugin",
                    metadata=meta(self.config_map_name),
                    binary_data={JAR_KEY: base64.b64encode(jar).decode()},
                    opts=child,
                )
            )
            pod["volumes"] = [{"name": PLUGIN_VOLUME, "config_map": {"name": self.config_map_name}}]
            container["volume_mounts"] = [
                {"name": PLUGIN_VOLUME, "mount_path": JAR_PATH, "sub_path": JAR_KEY, "read_only": True}
            ]
            fingerprint["jar_sha256"] = hashlib.sha256(jar).hexdigest()

        # One look-up of the live ZMS serves the credential check and the smoke test.
        live = (
            read_zms(name, args.namespace, args.deployment, self)
            if args.refuse_existing_credentials or args.smoke_test_recipient is not None
            else None
        )
        if args.refuse_existing_credentials:
            assert live is not None

            # The stack's own Secret is named <prefix>-...: a later `pulumi up` finds its env.
            def ours(var: Mapping) -> bool:
                ref = (var.get("value_from") or {}).get("secret_key_ref") or {}
                return str(ref.get("name", "")).startswith(f"{args.name_prefix}-")

            mounted.append(
                live_zms_check(
                    name,
                    live,
                    args.container,
                    ours=ours,
                    name_prefix=args.name_prefix,
                    use_instead=args.refuse_existing_credentials,
                    parent=self,
                )
            )
        env.append({"name": "JDK_JAVA_OPTIONS", "value": java_options(args.system_properties)})
        container["env"] = env
        self.checksum = pulumi.Output.from_input(fingerprint).apply(
            lambda values: hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        )

        self.smoke_test_job = None
        if args.smoke_test_recipient is not None:
            trigger = pulumi.Output.all(self.checksum, args.smoke_test_trigger or "").apply(
                lambda parts: content_hash(*parts)
            )
            self.smoke_test_job = ZmsSmokeTest(
                f"{name}-smoke-test",
                ZmsSmokeTestArgs(
                    namespace=args.namespace,
                    deployment=args.deployment,
                    live=live,
                    container=args.container,
                    recipient=args.smoke_test_recipient,
                    trigger=trigger,
                    config_map_name=f"{args.name_prefix}-smoke-sender",
                    env=env,
                    volumes=cast(Any, pod.get("volumes", [])),
                    volume_mounts=cast(Any, container.get("volume_mounts", [])),
                    service_account=args.service_account,
                    owned_env=PATCH_ENV,
                    owned_volumes=(PLUGIN_VOLUME,),
                    owned_mount_paths=(JAR_PATH,),
                    depends_on=[*mounted, *args.smoke_test_depends_on],
                    labels=stack_labels(args.name_prefix),
                ),
                opts=child,
            ).job
            mounted.append(self.smoke_test_job)  # the patch waits for a green send

        self.patch = k8s.apps.v1.DeploymentPatch(
            f"{name}-deployment-patch",
            metadata={
                "name": args.deployment,
                "namespace": args.namespace,
                # The stack's own, stable field manager: every `pulumi up` of this stack
                # updates the same ownership entry, and no other stack's. No patchForce: a
                # conflict with the base or another stack must fail, not be taken over.
                "annotations": {"pulumi.com/patchFieldManager": self.field_manager},
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
        self.register_outputs(
            {
                "serviceAccount": self.service_account_name,
                "secret": self.secret_name,
                "configMap": self.config_map_name,
            }
        )
