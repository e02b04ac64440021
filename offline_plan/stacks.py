"""Plan one committed stack: the one function the CLI and the golden plans share."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from offline_plan.engine import PROJECT, PROJECT_DIR, Plan, run_program
from offline_plan.stackfile import stack_config


def placeholder_jar(directory: Path) -> Path:
    """A small, always identical jar, standing in for a plugin that is not built yet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        info = zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=(1980, 1, 1, 0, 0, 0))
        jar.writestr(info, "Manifest-Version: 1.0\nCreated-By: athenz-ses offline plan (placeholder)\n")
    path = directory / "placeholder-plugin.jar"
    path.write_bytes(buffer.getvalue())
    return path


def committed_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Every stack with a Pulumi.<stack>.yaml file."""
    return sorted(p.name.split(".")[1] for p in project_dir.glob("Pulumi.*.yaml"))


@dataclass
class StackPlan:
    plan: Plan
    notes: list[str] = field(default_factory=list)
    """What the plan substituted (the placeholder jar), for the reader."""


def plan_stack(
    stack: str,
    *,
    config: Optional[Mapping[str, str]] = None,
    secrets: Optional[Mapping[str, str]] = None,
    caller_account_id: Optional[str] = None,
    always_placeholder_jar: bool = False,
) -> StackPlan:
    """Plan Pulumi.<stack>.yaml, with `config` and `secrets` overriding its values.

    The plugin jar is replaced by the placeholder when it is not built, or always with
    `always_placeholder_jar` (the golden plans: the same on every machine).
    Raises StackFileError for a missing or unreadable stack file.
    """
    full = stack_config(stack)
    full.update(config or {})
    full.update(secrets or {})
    notes = []
    with tempfile.TemporaryDirectory() as scratch:
        jar_key = f"{PROJECT}:pluginJar"
        if jar_key in full and (always_placeholder_jar or not (PROJECT_DIR / full[jar_key]).is_file()):
            if not always_placeholder_jar:
                notes.append(f"pluginJar {full[jar_key]} is not built: planned with a placeholder jar (build the plugin before `pulumi up`)")
            full[jar_key] = str(placeholder_jar(Path(scratch)))
        plan = run_program(stack, full, secret_keys=tuple(secrets or {}), caller_account_id=caller_account_id)
    return StackPlan(plan, notes)
