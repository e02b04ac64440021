"""Plan one committed stack: the one function the CLI and the golden plans share."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from offline_plan.engine import PROJECT, PROJECT_DIR, Plan, run_program
from offline_plan.stackfile import stack_config_and_secrets


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
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


@dataclass
class StackPlan:
    plan: Plan
    notes: list[str] = field(default_factory=list)
    """What the plan substituted (the placeholder jar), for the reader."""


def plan_stack(
    stack: str,
    *,
    config: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    caller_account_id: str | None = None,
    always_placeholder_jar: bool = False,
    stack_dir: Path = PROJECT_DIR,
) -> StackPlan:
    """Plan Pulumi.<stack>.yaml, with `config` and `secrets` overriding its values.

    The plugin jar is replaced by the placeholder when it is not built, or always with
    `always_placeholder_jar` (the golden plans: the same on every machine).
    Raises StackFileError for a missing or unreadable stack file. `stack_dir` holds the
    stack files (the project's folder; the tests plan stack files of their own).
    """
    full, encrypted = stack_config_and_secrets(stack, stack_dir)
    full.update(config or {})
    full.update(secrets or {})
    secret_keys: tuple[str, ...] = tuple(
        dict.fromkeys([*(k for k in encrypted if k not in (config or {})), *(secrets or {})])
    )
    notes = [
        f"{key} is encrypted in Pulumi.{stack}.yaml: planned with a placeholder, as a secret"
        for key in encrypted
        if key not in (config or {}) and key not in (secrets or {})
    ]
    with tempfile.TemporaryDirectory() as scratch:
        jar_key = f"{PROJECT}:pluginJar"
        jar = full.get(jar_key)
        placeholder = str(placeholder_jar(Path(scratch)))
        if jar is not None and (always_placeholder_jar or unbuilt_jar(jar, stack_dir)):
            if not always_placeholder_jar:
                notes.append(
                    f"pluginJar {jar} is not built: planned with a placeholder jar "
                    "(build the plugin before `pulumi up`)"
                )
            full[jar_key] = placeholder
        plan = run_program(stack, full, secret_keys=secret_keys, caller_account_id=caller_account_id)
        if plan.error is not None and placeholder in str(plan.error):
            # Never show a temporary path: name the value of the stack file instead.
            plan.error = PlanError(str(plan.error).replace(placeholder, str(jar)))
    return StackPlan(plan, notes)


class PlanError(Exception):
    """A program error, reworded for the reader (no temporary paths)."""


def unbuilt_jar(value: str, project_dir: Path = PROJECT_DIR) -> bool:
    """The jar is not built yet: no such file, and its folder holds no other jar either
    (a folder that does hold jars points at a typo, which the program then reports)."""
    try:
        path = project_dir / value
        if path.is_file():
            return False
        folder = path.parent
        return not (folder.is_dir() and any(folder.glob("*.jar")))
    except (OSError, ValueError):  # a value no file system takes: the program reports it
        return False
