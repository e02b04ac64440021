"""Logical names that must stay short: Pulumi auto-names AWS resources after them
(logical name + '-' + 7 random characters), and IAM role names stop at 64."""

from __future__ import annotations

import hashlib
import re

IAM_ROLE_NAME_LIMIT = 64
AUTONAME_SUFFIX = 8  # '-' + 7 random characters
ROLE_SUFFIX = "-role"
# The longest component name whose role ('<name>-role' + suffix) still fits in IAM's limit.
MAX_ROLE_COMPONENT_NAME = IAM_ROLE_NAME_LIMIT - AUTONAME_SUFFIX - len(ROLE_SUFFIX)


def delegated_sender_name(namespace: str, service_account: str) -> str:
    """`sender-<namespace>-<name>`, shortened with a digest of the pair when too long.

    Stable for the same pair (so `pulumi up` replaces nothing), distinct for different
    pairs, and only characters IAM role names accept."""
    readable = re.sub(r"[^A-Za-z0-9-]", "-", f"sender-{namespace}-{service_account}")
    if len(readable) <= MAX_ROLE_COMPONENT_NAME:
        return readable
    digest = hashlib.sha256(f"{namespace}/{service_account}".encode()).hexdigest()[:8]
    return f"{readable[: MAX_ROLE_COMPONENT_NAME - len(digest) - 1]}-{digest}"
