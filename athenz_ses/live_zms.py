"""What ZMS runs with today, read from the cluster before the stack changes it.

A stack that gives ZMS credentials of its own (a ServiceAccount with an IRSA or Pod
Identity role, or an access key in env) replaces the credentials ZMS already has, and
Athenz uses one credential chain for every AWS client it has: the SES notifier, but also
the RDS, S3 and SSM stores. A ZMS that already reaches AWS with a role of its own would
lose that access. So before the patch, the stack reads the live Deployment (and the
ServiceAccount it runs as) and stops the preview when ZMS already has AWS credentials,
pointing at the mode that adds the send policy to ZMS's own role instead.

The reads are look-ups (`Deployment.get`, `ServiceAccount.get`): the stack never owns,
changes or deletes these objects through them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from athenz_ses.names import INSTANCE_LABEL

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
# The env vars through which the AWS SDK's default chains find credentials (env keys,
# web identity (IRSA), container credentials (EKS Pod Identity), shared files, profiles).
AWS_CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
)


def credential_problems(
    container_env: Sequence[Any],
    service_account: str,
    role_annotation: str | None,
    *,
    ours: Callable[[Any], bool],
    service_account_is_ours: bool,
    use_instead: str,
) -> list[str]:
    """Why ZMS already has AWS credentials the stack would replace (empty: it has none).

    `container_env`: the live ZMS container's env (mappings with the SDK's snake_case keys);
    `ours` tells the stack's own entries apart (a later `pulumi up` finds them). `service_account`: the one
    ZMS runs as; `role_annotation`: its IRSA role annotation, if any."""
    problems = [
        f"ZMS's container has {var['name']} in its env"
        for var in container_env
        if var["name"] in AWS_CREDENTIAL_ENV and not ours(var)
    ]
    if role_annotation and not service_account_is_ours:
        problems.append(f"ZMS runs as ServiceAccount {service_account}, which has IAM role {role_annotation} (IRSA)")
    return [f"{problem}: {use_instead}" for problem in problems]


def plain(value: Any) -> Any:
    """A look-up's output (the SDK's output types: dicts with a property per field, some of
    which hide dict's own methods, such as `values` of a selector requirement) as plain
    dicts and lists, snake_case keys kept, None values left out."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in dict.items(value) if item is not None}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def pod_template_spec(live: k8s.apps.v1.Deployment) -> pulumi.Output[dict[str, Any]]:
    """The live Deployment's pod template spec, as plain data (converted before anything
    lifts it into an Output again)."""
    return live.spec.apply(lambda spec: plain(dict.get(spec, "template"))["spec"])


def read_zms(name: str, namespace: str, deployment: str, parent: pulumi.Resource) -> k8s.apps.v1.Deployment:
    """Looks ZMS's Deployment up (a read: never owned, changed or deleted)."""
    opts = pulumi.ResourceOptions(parent=parent)
    return k8s.apps.v1.Deployment.get(f"{name}-live-deployment", f"{namespace}/{deployment}", opts=opts)


def live_zms_check(
    name: str,
    live: k8s.apps.v1.Deployment,
    container: str,
    *,
    ours: Callable[[Any], bool],
    name_prefix: str,
    use_instead: str,
    parent: pulumi.Resource,
) -> pulumi.Output[k8s.apps.v1.Deployment]:
    """Reads the ServiceAccount the `live` ZMS (read_zms) runs as; resolves to `live`, or
    fails (at preview) with every credential ZMS already has."""
    opts = pulumi.ResourceOptions(parent=parent)
    namespace, deployment = live.metadata.namespace, live.metadata.name

    # The SDK's output types are dicts keyed in snake_case (service_account_name, value_from).
    pod = pod_template_spec(live)
    running_as = pod.apply(lambda p: p.get("service_account_name") or "default")
    account = k8s.core.v1.ServiceAccount.get(
        f"{name}-live-service-account", pulumi.Output.concat(namespace, "/", running_as), opts=opts
    )

    def check(values: list) -> k8s.apps.v1.Deployment:
        spec, service_account, metadata, namespace, deployment = values
        found = [c for c in spec["containers"] if c["name"] == container]
        if not found:
            raise ValueError(f"ZMS {namespace}/{deployment} has no container {container} to patch")
        env = found[0].get("env") or []
        meta = plain(metadata or {})
        annotations, labels = meta.get("annotations") or {}, meta.get("labels") or {}
        problems = credential_problems(
            env,
            service_account,
            annotations.get(ROLE_ARN_ANNOTATION),
            ours=ours,
            # The stack labels what it makes with its own prefix: the name alone could be a user's.
            service_account_is_ours=labels.get(INSTANCE_LABEL) == name_prefix,
            use_instead=use_instead,
        )
        if problems:
            raise ValueError(f"ZMS {namespace}/{deployment} already reaches AWS: " + "; ".join(problems))
        return live

    return pulumi.Output.all(pod, running_as, account.metadata, namespace, deployment).apply(check)
