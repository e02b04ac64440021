"""Which credentials, Region and cluster CI uses for a stack, from .github/stacks.yml.

    venv/bin/python .github/stack_target.py preview|teardown STACK >> "$GITHUB_OUTPUT"

Prints `suffix=<SUFFIX>` and `cluster=<eks|none>`. Exits 1 with one line on stderr for a
stack with no entry, and for `teardown` of a stack whose cluster CI cannot reach or whose
entry says `teardown: false`.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path

import yaml

MAPPING = Path(__file__).with_name("stacks.yml")
STACK_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def read_mapping(text: str) -> dict[str, dict[str, str]]:
    """The `stacks:` block: pattern -> {suffix, cluster}."""
    stacks = (yaml.safe_load(text) or {}).get("stacks") or {}
    if not isinstance(stacks, dict) or not all(isinstance(v, dict) for v in stacks.values()):
        raise ValueError(f"{MAPPING.name}: `stacks:` must map stack patterns to suffix and cluster")
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in stacks.items()}


def target(action: str, stack: str, mapping: dict[str, dict[str, str]]) -> dict[str, str]:
    if action not in ("preview", "teardown"):
        raise ValueError(f"unknown action {action!r}: preview or teardown")
    if not STACK_NAME.fullmatch(stack):
        raise ValueError(f"not a stack name: {stack!r}")
    for pattern, entry in mapping.items():
        if fnmatch.fnmatchcase(stack, pattern):
            if entry.get("cluster") not in ("eks", "none") or not re.fullmatch(r"[A-Z0-9_]+", entry.get("suffix", "")):
                raise ValueError(
                    f"{MAPPING.name}: the entry {pattern} needs suffix (A-Z, 0-9, _) and cluster (eks or none)"
                )
            if action == "teardown" and entry.get("teardown", "true").lower() == "false":
                raise ValueError(f"stack {stack} is marked teardown: false: destroy it by hand, on purpose")
            if action == "teardown" and entry["cluster"] == "none":
                raise ValueError(
                    f"stack {stack} runs on a kind cluster CI cannot reach: destroy it where its cluster runs"
                )
            return {"suffix": entry["suffix"], "cluster": entry["cluster"]}
    raise ValueError(f"stack {stack} has no entry in .github/{MAPPING.name}: add one before CI may touch it")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        found = target(argv[0], argv[1], read_mapping(MAPPING.read_text()))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for key, value in found.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
