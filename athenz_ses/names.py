"""Names: logical names that must stay short (Pulumi auto-names AWS resources after
them: logical name + '-' + 7 random characters, and IAM role names stop at 64), and the
Kubernetes names of one component.

Every part of an AthenzSesNotifications is named `<component name>-<part>` (its own
parts `<that>-<...>` in turn), so two components of one program never share a URN; its
Kubernetes names and field manager start with its name prefix, by default
`<component name>-<stack>`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

IAM_ROLE_NAME_LIMIT = 64
IAM_USER_NAME_LIMIT = 64
AUTONAME_SUFFIX = 8  # '-' + 7 random characters
ROLE_SUFFIX = "-role"
# The longest component name whose role ('<name>-role' + suffix) still fits in IAM's limit.
MAX_ROLE_COMPONENT_NAME = IAM_ROLE_NAME_LIMIT - AUTONAME_SUFFIX - len(ROLE_SUFFIX)

DEFAULT_COMPONENT_NAME = "athenz-ses"
"""The name this repository's program gives its AthenzSesNotifications, and what every
earlier version named its Kubernetes objects after (`athenz-ses-<stack>`)."""
KUBERNETES_AUTONAME_SUFFIX = 9  # pulumi-kubernetes: '-' + 8 random characters
JOB_NAME_LIMIT = 63  # a Job's name is its pods' `job-name` label value
# The longest names an AthenzSesNotifications gives its parts after its own name: the
# delegated sender's smoke-test Job (auto-named), ZMS's Pod Identity role component
# (IrsaRole and PodIdentityRole take at most MAX_ROLE_COMPONENT_NAME), the access-key user.
MAX_COMPONENT_NAME = min(
    JOB_NAME_LIMIT - KUBERNETES_AUTONAME_SUFFIX - len("-sender-smoke-test-job"),
    MAX_ROLE_COMPONENT_NAME - len("-zms-pod-identity"),
    IAM_USER_NAME_LIMIT - AUTONAME_SUFFIX - len("-access-key-user"),
)


def component_name_problems(name: str) -> list[str]:
    """What is expected of `name`, if it cannot name an AthenzSesNotifications (nothing when it can): it starts
    the names of its IAM roles and users and of its auto-named Kubernetes Jobs."""
    if len(name) <= MAX_COMPONENT_NAME and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
        return []
    return [
        f"at most {MAX_COMPONENT_NAME} lower-case letters, digits and '-', starting and ending with a letter or "
        "digit (it starts the names of the component's IAM roles and Kubernetes Jobs)"
    ]


def delegated_sender_name(namespace: str, service_account: str, component: str | None = None) -> str:
    """`<component>-sender-<namespace>-<name>` (`sender-<namespace>-<name>` without a
    component, as versions before component-derived names had it), shortened with a
    digest of the pair when too long.

    Stable for the same pair (so `pulumi up` replaces nothing), and only characters IAM
    role names accept. Two pairs can meet (`a-b/c` and `a/b-c`, `m/a.b` and `m/a-b`): the
    component and the program refuse such a list (see `colliding_senders`)."""
    start = f"{component}-sender" if component else "sender"
    readable = re.sub(r"[^A-Za-z0-9-]", "-", f"{start}-{namespace}-{service_account}")
    if len(readable) <= MAX_ROLE_COMPONENT_NAME:
        return readable
    digest = hashlib.sha256(f"{namespace}/{service_account}".encode()).hexdigest()[:8]
    return f"{readable[: MAX_ROLE_COMPONENT_NAME - len(digest) - 1]}-{digest}"


def colliding_senders(service_accounts: Sequence[str]) -> list[str]:
    """The `namespace/name` entries listed twice, or whose delegated_sender_name another
    entry already has (their resources would share names)."""
    seen: dict[str, str] = {}
    found = []
    for entry in service_accounts:
        namespace, _, name = entry.partition("/")
        logical = delegated_sender_name(namespace, name)
        if logical in seen:
            found.append(f"{entry} (as {seen[logical]})")
        else:
            seen[logical] = entry
    return found


# Kubernetes names of one component: `<component name>-<stack>` (`athenz-ses-<stack>` for
# this repository's program), so that two stacks, or two components of one stack, never
# share an object or a field manager. Room is kept for '-plugin-<10 hex>' under the
# DNS-label limit.
NAME_PREFIX_LIMIT = 63 - len("-plugin-") - 10
STACK_PART_LIMIT = NAME_PREFIX_LIMIT - len(f"{DEFAULT_COMPONENT_NAME}-")


def stack_prefix(stack: str, component: str = DEFAULT_COMPONENT_NAME) -> str:
    """`<component>-<stack>` as a DNS label (`component`: a name component_name_problems
    takes). A stack name that must be changed to fit (upper case, '_', '.', too long), or
    that ends like such a digest, gets a digest of the original, so two stacks never share
    a prefix."""
    limit = NAME_PREFIX_LIMIT - len(component) - 1
    part = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")
    # A name that already ends like a digest gets one too: `Dev` and `dev-<digest of Dev>`
    # must not meet.
    if part != stack or len(part) > limit or re.search(r"-[0-9a-f]{6}$", part):
        digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
        part = f"{part[: limit - len(digest) - 1].rstrip('-')}-{digest}".lstrip("-")
    return f"{component}-{part}"


def content_hash(*parts: str) -> str:
    """10 hex characters of the parts' SHA-256, as kustomize's generators name objects."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:10]


CHECKSUM_ANNOTATION = "athenz-ses/checksum"  # the pod-template annotation of what ZMS's pods read
LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "athenz-ses"}
INSTANCE_LABEL = "app.kubernetes.io/instance"  # the stack's name prefix, on everything it creates
