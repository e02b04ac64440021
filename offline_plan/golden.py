"""Golden plans: the offline plan of every committed stack, kept in plans/<stack>/.

    python -m offline_plan.golden            regenerate plans/ after a deliberate change
    python -m offline_plan.golden --add S    also keep a golden plan of stack S

A test compares the program's plan with these files, so a pull request that changes a
policy, a Kubernetes object or an output also shows that change in plans/. They are
planned with the placeholder jar, so they do not depend on a locally built plugin.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from offline_plan.engine import PROJECT_DIR, Plan
from offline_plan.render import MARKER, PlanOutputError, remove_plan, write_plan
from offline_plan.stacks import committed_stacks, plan_stack

GOLDEN_DIR = PROJECT_DIR / "plans"


def golden_plan(stack: str) -> Plan:
    """The plan of a committed stack as the golden files hold it."""
    plan = plan_stack(stack, always_placeholder_jar=True).plan
    if plan.error is not None:
        raise RuntimeError(f"stack {stack} does not plan: {plan.error}")
    return plan


def golden_stacks(root: Path = GOLDEN_DIR) -> list[str]:
    """The stacks that have a golden plan (the committed ones; a stack file of your own
    gets one only when you add it with `--add`)."""
    return sorted(p.name for p in root.iterdir() if (p / MARKER).is_file()) if root.is_dir() else []


def regenerate(
    root: Path = GOLDEN_DIR, plan_of: Callable[[str], Plan] = golden_plan, add: Sequence[str] = ()
) -> list[str]:
    """Rewrite root/<stack>/ for every stack that has a golden plan (and those in `add`),
    and drop the golden plans of stacks whose stack file is gone.

    `plan_of` plans one stack; the tests pass a changed plan to see the round trip."""
    files = set(committed_stacks())
    unknown = [stack for stack in add if stack not in files]
    if unknown:
        raise PlanOutputError(f"no stack file Pulumi.{unknown[0]}.yaml: --add takes a stack of this project")
    stacks = sorted(set(golden_stacks(root)) | set(add))
    for stale in (stack for stack in stacks if stack not in files):
        remove_plan(root / stale, PROJECT_DIR)
    stacks = [stack for stack in stacks if stack in files]
    for stack in stacks:
        write_plan(plan_of(stack), root / stack)
    return stacks


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def diff_plan(expected_dir: Path, plan: Plan, scratch: Path, label: str | None = None) -> str:
    """A unified diff from the files in expected_dir to `plan` rendered; '' when equal.

    Each file is named `label/<file>` (default: the expected folder's path)."""
    label = label or expected_dir.as_posix()
    actual_dir = scratch / plan.stack
    write_plan(plan, actual_dir)
    expected, actual = _files(expected_dir) if expected_dir.is_dir() else {}, _files(actual_dir)
    chunks = []
    for name in sorted(expected.keys() | actual.keys()):
        before, after = expected.get(name), actual.get(name)
        if before != after:
            chunks += difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"{label}/{name}" if before is not None else "/dev/null",
                tofile=f"{label}/{name} (planned now)" if after is not None else "/dev/null",
            )
    return "".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline_plan.golden", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR, help="folder of the golden plans (default plans/)")
    parser.add_argument(
        "--add", action="append", default=[], metavar="STACK", help="also keep a golden plan of this stack"
    )
    args = parser.parse_args(argv)
    try:
        stacks = regenerate(args.out, add=args.add)
    except PlanOutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for stack in stacks:
        print(f"wrote {args.out / stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
