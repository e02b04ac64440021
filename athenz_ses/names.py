"""Names: logical names that must stay short (Pulumi auto-names AWS resources after
them: logical name + '-' + 7 random characters, and IAM role names stop at 64), and the
Kubernetes names of one stack."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

IAM_ROLE_NAME_LIMIT = 64
AUTONAME_SUFFIX = 8  # '-' + 7 random characters
ROLE_SUFFIX = "-role"
# The longest component name whose role ('<name>-role' + suffix) still fits in IAM's limit.
MAX_ROLE_COMPONENT_NAME = IAM_ROLE_NAME_LIMIT - AUTONAME_SUFFIX - len(ROLE_SUFFIX)


def delegated_sender_name(namespace: str, service_account: str) -> str:
    """`sender-<namespace>-<name>`, shortened with a digest of the pair when too long.

    Stable for the same pair (so `pulumi up` replaces nothing), and only characters IAM
    role names accept. Two pairs can meet (`a-b/c` and `a/b-c`, `m/a.b` and `m/a-b`): the
    component and the program refuse such a list (see `colliding_senders`)."""
    readable = re.sub(r"[^A-Za-z0-9-]", "-", f"sender-{namespace}-{service_account}")
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


# Kubernetes names of one stack: `athenz-ses-<stack>`, so that two stacks never share an
# object or a field manager. Room is kept for '-plugin-<10 hex>' under the DNS-label limit.
STACK_PART_LIMIT = 63 - len("athenz-ses-") - len("-plugin-") - 10


def stack_prefix(stack: str) -> str:
    """`athenz-ses-<stack>` as a DNS label. A stack name that must be changed to fit
    (upper case, '_', '.', too long), or that ends like such a digest, gets a digest of
    the original, so two stacks never share a prefix."""
    part = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-")
    # A name that already ends like a digest gets one too: `Dev` and `dev-<digest of Dev>`
    # must not meet.
    if part != stack or len(part) > STACK_PART_LIMIT or re.search(r"-[0-9a-f]{6}$", part):
        digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
        part = f"{part[: STACK_PART_LIMIT - len(digest) - 1].rstrip('-')}-{digest}".lstrip("-")
    return f"athenz-ses-{part}"


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
