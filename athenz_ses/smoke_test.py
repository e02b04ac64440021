"""The smoke tests: Kubernetes Jobs that send one mail through SES the way the sender
really does, so `pulumi up` fails when it could not.

ZmsSmokeTest runs ZMS's own notifier in ZMS's own image: the Job's pod is ZMS's pod
template as the cluster has it (image, env, env sources, volumes with ZMS's configuration,
image pull secrets, node placement, its ServiceAccount) plus exactly what the stack's patch
adds (JDK_JAVA_OPTIONS with the -D flags, AWS_REGION, the Secret's env, the plugin jar,
the ServiceAccount of the stack). Its command starts a small class of ours,
`ZmsNotificationSmoke` (athenz_ses/sender/, Java 11 bytecode, shipped in a ConfigMap),
on ZMS's class path: it reads ZMS's configuration files the way ZMS does, loads the
factory named by `athenz.zms.notification_service_factory_class`, creates the
notification service and sends one notification through it, and exits non-zero when
`notify` returns false or throws. So a green Job means that ZMS's configuration,
classes, credentials and Region deliver. ZMS's Deployment is read (a look-up) for it.

The Job runs BEFORE the patch, and the patch waits for it: a failed send stops `pulumi
up` with ZMS unchanged. With EKS Pod Identity the association is eventually consistent:
the Job retries (backoffLimit, the Job controller's exponential back-off: 10 s, 20 s,
40 s, 80 s), and since a failed attempt sent nothing, a retry never mails twice; the
patch, which waits for the Job, so never restarts ZMS before its credentials work.

Out of the SES sandbox the Job mails SES's mailbox simulator
(success@simulator.amazonses.com: no bounce, no quota) unless a recipient is given; in
the sandbox, the first verified recipient. The pod meets Pod Security "restricted"
(non-root, seccomp RuntimeDefault, every capability dropped, no privilege escalation).

SmokeTest (a delegated sender): the workload is not ours to run, so the Job sends as its
ServiceAccount with the AWS CLI: `aws sesv2 send-email` with raw MIME and no identity ARN
(same account or federated-role), or the second article's `aws ses send-email
--source-arn` (sending authorization).

pulumi-kubernetes awaits a Job until its `Complete` condition and fails the update on
`Failed` (or after 10 minutes); with `pulumi.com/replaceUnready: "true"` the next `pulumi
up` replaces a failed Job. `ttlSecondsAfterFinished` lets the cluster delete a finished
Job after an hour while Pulumi's state keeps it: `pulumi refresh` sees it gone and the
next `up` runs the test again; `pulumi destroy` finds it deleted or deletes it. Jobs are
immutable and auto-named: any spec change is a new Job, a new test run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from athenz_ses.live_zms import plain, pod_template_spec
from athenz_ses.names import CHECKSUM_ANNOTATION, LABELS

AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
CONTAINER = "send-test-email"
SUBJECT = "athenz-ses smoke test"
TEXT = "Amazon SES accepted this mail from the athenz-ses smoke test Job, sent the way the workload sends."
REPLACE_UNREADY = {"pulumi.com/replaceUnready": "true"}  # a failed Job runs again on the next `pulumi up`
ACTIVE_DEADLINE_SECONDS = 300
# A failed attempt sent nothing (the sender exits 0 as soon as SES accepted the mail), so
# retries never mail twice; they cover an EKS Pod Identity association still propagating.
BACKOFF_LIMIT = 4
TTL_SECONDS_AFTER_FINISHED = 3600  # an hour to read `kubectl logs job/...`
SIMULATOR = "success@simulator.amazonses.com"  # SES's mailbox simulator: accepted, never bounced

# The sender class ZMS's image runs, and where the Job mounts it.
SENDER_CLASS = "ZmsNotificationSmoke"
SENDER_FILE = Path(__file__).resolve().parent / "sender" / f"{SENDER_CLASS}.class"
SENDER_DIR = "/athenz-ses-smoke"
SENDER_VOLUME = "athenz-ses-smoke"
# ZMS's image entrypoint runs `java -classpath "$CLASSPATH:$USER_CLASSPATH" $JAVA_OPTS ...`:
# the same, with the sender's folder first. The recipient is $1: no value enters the script.
SENDER_SCRIPT = (
    f'exec java -classpath "{SENDER_DIR}:${{CLASSPATH}}:${{USER_CLASSPATH}}" ${{JAVA_OPTS}} {SENDER_CLASS} "$1"'
)
DEFAULT_USER = 10001  # the user of Athenz's ZMS image (docker/zms/Dockerfile), when ZMS names none
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allow_privilege_escalation": False,
    "capabilities": {"drop": ["ALL"]},
    "run_as_non_root": True,
    "seccomp_profile": {"type": "RuntimeDefault"},
}


def _job(
    name: str,
    namespace: str,
    labels: Mapping[str, str],
    trigger: pulumi.Input[str],
    pod: pulumi.Input[Mapping[str, Any]],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Input[pulumi.Resource]],
) -> k8s.batch.v1.Job:
    spec: Any = {
        "active_deadline_seconds": ACTIVE_DEADLINE_SECONDS,
        "backoff_limit": BACKOFF_LIMIT,
        "ttl_seconds_after_finished": TTL_SECONDS_AFTER_FINISHED,
        "template": {
            "metadata": {"labels": dict(labels), "annotations": {CHECKSUM_ANNOTATION: trigger}},
            "spec": pod,
        },
    }
    return k8s.batch.v1.Job(
        f"{name}-job",
        metadata={"namespace": namespace, "labels": dict(labels), "annotations": REPLACE_UNREADY},
        spec=spec,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on),
            # Jobs are immutable: any spec change is a new Job, that is a new test run.
            replace_on_changes=["spec"],
            delete_before_replace=False,
        ),
    )


@dataclass
class ZmsSmokeTestArgs:
    namespace: str
    deployment: str
    """ZMS's Deployment: its pod template is read and copied."""
    container: str
    """ZMS's container in it."""
    recipient: str
    """An address, or an Athenz principal (user.alice) that ZMS's mapping turns into one."""
    trigger: pulumi.Input[str]
    """A fingerprint of the wiring under test: when it changes, the test runs again."""
    config_map_name: str
    """The ConfigMap (created here) that carries the sender class."""
    live: k8s.apps.v1.Deployment | None = None
    """ZMS's Deployment as already looked up; None: the component looks it up."""
    env: pulumi.Input[Sequence[Mapping[str, Any]]] = ()
    """What the patch adds to ZMS's env (replaces ZMS's own entries of the same names)."""
    volumes: pulumi.Input[Sequence[Mapping[str, Any]]] = ()
    """What the patch adds to ZMS's volumes."""
    volume_mounts: pulumi.Input[Sequence[Mapping[str, Any]]] = ()
    """What the patch adds to ZMS's container's mounts."""
    service_account: str | None = None
    """The ServiceAccount the patch gives ZMS; None keeps ZMS's own."""
    owned_env: Sequence[str] = ()
    """Every env var any patch of the stack may set: a live value of one of them is the
    stack's, left from an earlier `up` (of another send path), never ZMS's own."""
    owned_volumes: Sequence[str] = ()
    """Likewise, volumes by name."""
    owned_mount_paths: Sequence[str] = ()
    """Likewise, mounts by path."""
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = field(default_factory=list)
    """What ZMS's new configuration rests on (ServiceAccount, Secret, ConfigMap, policies)."""
    labels: Mapping[str, str] = field(default_factory=lambda: dict(LABELS))


def zms_smoke_pod(
    live_pod: Mapping[str, Any],
    env: Sequence[Mapping[str, Any]],
    volumes: Sequence[Mapping[str, Any]],
    volume_mounts: Sequence[Mapping[str, Any]],
    args: ZmsSmokeTestArgs,
) -> dict[str, Any]:
    """The Job's pod: ZMS's pod template (`live_pod`, snake_case as the SDK gives it) with
    the patch's additions (`env`, `volumes`, `volume_mounts`, resolved), ZMS's container
    running the sender, Pod Security "restricted"."""
    pod = plain(live_pod)
    (zms,) = [c for c in pod["containers"] if c["name"] == args.container]
    # After a first `pulumi up` ZMS's live pod has the patch's env, volumes and mounts
    # already, maybe of another send path: the current patch's win, each name (mount
    # path) once, and nothing of an earlier patch stays (old keys would win over IRSA).
    patched = {var["name"] for var in env} | set(args.owned_env)
    patched_volumes = {volume["name"] for volume in volumes} | set(args.owned_volumes)
    patched_paths = {mount["mount_path"] for mount in volume_mounts} | set(args.owned_mount_paths)
    mounts = [
        *(m for m in zms.get("volume_mounts", []) if m["mount_path"] not in patched_paths),
        *map(dict, volume_mounts),
    ]
    mounts.append({"name": SENDER_VOLUME, "mount_path": SENDER_DIR, "read_only": True})
    # A claim ZMS holds (ReadWriteOnce) would keep the Job's pod from starting elsewhere;
    # the notifier reads none.
    claims = {v["name"] for v in pod.get("volumes", []) if "persistent_volume_claim" in v}
    mounts = [m for m in mounts if m["name"] not in claims]
    security = pod.get("security_context") or {}
    users = [(zms.get("security_context") or {}).get("run_as_user"), security.get("run_as_user"), DEFAULT_USER]
    user = next(u for u in users if u is not None)
    if user == 0:
        raise ValueError(
            f"ZMS's container {args.container} runs as root (runAsUser 0): the smoke Job runs as ZMS's user and "
            "must not run as root (Pod Security restricted); turn smokeTest off or run ZMS as a user"
        )
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": zms["image"],
        "command": ["sh", "-c", SENDER_SCRIPT, SENDER_CLASS, args.recipient],
        "env": [*(var for var in zms.get("env", []) if var["name"] not in patched), *map(dict, env)],
        "volume_mounts": mounts,
        "security_context": {**RESTRICTED_CONTAINER, "run_as_user": user},
    }
    for key in ("env_from", "working_dir", "image_pull_policy", "resources"):
        if key in zms:
            container[key] = zms[key]
    spec: dict[str, Any] = {
        "restart_policy": "Never",
        "containers": [container],
        "volumes": [
            *(v for v in pod.get("volumes", []) if v["name"] not in patched_volumes | claims),
            *map(dict, volumes),
            {"name": SENDER_VOLUME, "config_map": {"name": args.config_map_name}},
        ],
        "security_context": {
            **{k: v for k, v in security.items() if k in ("fs_group", "run_as_group", "supplemental_groups")},
            "run_as_non_root": True,
            "run_as_user": user,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
    }
    for key in ("image_pull_secrets", "node_selector", "tolerations", "affinity"):
        if key in pod:
            spec[key] = pod[key]
    if args.service_account or pod.get("service_account_name"):
        spec["service_account_name"] = args.service_account or pod["service_account_name"]
    return spec


class ZmsSmokeTest(pulumi.ComponentResource):
    """See the module docstring. Pass ZMS's Kubernetes provider in opts if not the default."""

    job: k8s.batch.v1.Job
    job_name: pulumi.Output[str | None]

    def __init__(self, name: str, args: ZmsSmokeTestArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("athenz-ses:index:ZmsSmokeTest", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sender = k8s.core.v1.ConfigMap(
            f"{name}-sender",
            metadata={"name": args.config_map_name, "namespace": args.namespace, "labels": dict(args.labels)},
            binary_data={f"{SENDER_CLASS}.class": base64.b64encode(SENDER_FILE.read_bytes()).decode()},
            opts=child,
        )
        live = args.live or k8s.apps.v1.Deployment.get(f"{name}-zms", f"{args.namespace}/{args.deployment}", opts=child)
        additions = [pulumi.Output.from_input(list(v)) for v in (args.env, args.volumes, args.volume_mounts)]  # type: ignore[arg-type]
        pod = pulumi.Output.all(pod_template_spec(live), *additions).apply(
            lambda v: zms_smoke_pod(v[0], v[1], v[2], v[3], args)
        )
        self.job = _job(name, args.namespace, args.labels, args.trigger, pod, self, [sender, *args.depends_on])
        self.job_name = self.job.metadata.apply(lambda meta: meta.name)
        self.register_outputs({"job": self.job_name})


@dataclass
class SmokeTestArgs:
    """A delegated sender's test: one mail as its ServiceAccount, with the AWS CLI."""

    namespace: str
    sender: str
    recipient: str
    region: str
    """The SES Region, passed explicitly."""
    trigger: pulumi.Input[str]
    """A fingerprint of the grant under test: when it changes, the test runs again."""
    service_account: str
    """Send as this ServiceAccount (its IRSA or Pod Identity role)."""
    source_arn: pulumi.Input[str] | None = None
    """Across accounts by sending authorization: the sender identity ARN it names, with
    the second article's command."""
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = field(default_factory=list)
    labels: Mapping[str, str] = field(default_factory=lambda: dict(LABELS))
    """Labels of the Job and its pod (the stack's `app.kubernetes.io/instance` among them)."""


def raw_message(sender: str, recipient: str) -> bytes:
    """The MIME message the Job sends: From, To, Subject and a text body."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, SUBJECT
    message.set_content(TEXT)
    return message.as_bytes()


def sesv2_command(args: SmokeTestArgs) -> list[str]:
    """`aws sesv2 send-email` with raw content, naming no identity ARN."""
    raw = base64.b64encode(raw_message(args.sender, args.recipient)).decode()
    return [
        "aws",
        "sesv2",
        "send-email",
        "--cli-binary-format",
        "base64",
        "--from-email-address",
        args.sender,
        "--destination",
        json.dumps({"ToAddresses": [args.recipient]}),
        "--content",
        json.dumps({"Raw": {"Data": raw}}),
    ]


def source_arn_command(args: SmokeTestArgs) -> list[pulumi.Input[str]]:
    """The second article's command: SES v1 with the identity ARN of the other account."""
    assert args.source_arn is not None
    return [
        "aws",
        "ses",
        "send-email",
        "--from",
        args.sender,
        "--to",
        args.recipient,
        "--subject",
        SUBJECT,
        "--text",
        TEXT,
        "--source-arn",
        args.source_arn,
    ]


class SmokeTest(pulumi.ComponentResource):
    """A delegated sender's smoke test (see the module docstring)."""

    job: k8s.batch.v1.Job
    job_name: pulumi.Output[str | None]

    def __init__(self, name: str, args: SmokeTestArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("athenz-ses:index:SmokeTest", name, None, opts)
        command = source_arn_command(args) if args.source_arn is not None else sesv2_command(args)
        pod: dict[str, Any] = {
            "restart_policy": "Never",
            "service_account_name": args.service_account,
            "security_context": {"run_as_non_root": True, "seccomp_profile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": CONTAINER,
                    "image": AWS_CLI_IMAGE,
                    "command": command,
                    # The image runs as root by default: a user of no account, a writable HOME.
                    "env": [{"name": "AWS_REGION", "value": args.region}, {"name": "HOME", "value": "/tmp"}],
                    "security_context": {**RESTRICTED_CONTAINER, "run_as_user": 65532},
                }
            ],
        }
        self.job = _job(name, args.namespace, args.labels, args.trigger, pod, self, args.depends_on)
        self.job_name = self.job.metadata.apply(lambda meta: meta.name)
        self.register_outputs({"job": self.job_name})
