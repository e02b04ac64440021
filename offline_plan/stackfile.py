"""Read a stack's config the way the Pulumi CLI hands it to the program.

`Pulumi.<stack>.yaml` values on top of the `default`s declared in `Pulumi.yaml`; keys
without a namespace belong to the project; booleans and numbers become strings; lists
and maps become JSON. YAML is read as the CLI reads it (YAML 1.2): `on`, `yes`, `off`
stay strings, only `true`/`false` are booleans.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from offline_plan.engine import PROJECT, PROJECT_DIR
from program.settings import as_config_string


class StackFileError(Exception):
    pass


class _Yaml12Loader(yaml.SafeLoader):
    pass


# libyaml's parser where PyYAML has it (its wheels do): the same loader in a tenth of the time.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastYaml12Loader(_SAFE_LOADER):
    pass


# Drop YAML 1.1's yes/no/on/off booleans; keep true/false (any case, as YAML 1.2 core).
for _loader in (_Yaml12Loader, _FastYaml12Loader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
    }
    for _first in "tTfF":
        _loader.add_implicit_resolver(
            "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first]
        )


def _load_yaml(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StackFileError(f"no such stack file: {path.name}") from None
    try:
        data = yaml.load(text, Loader=_FastYaml12Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        try:  # the pure-Python parser decides, and says where and why, with the line quoted
            data = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            raise StackFileError(f"{path.name} is not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a `config:` mapping of keys to values")
    return data


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def project_defaults(project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The `default`s (and plain values) of the `config:` block of Pulumi.yaml."""
    declared = _load_yaml(project_dir / "Pulumi.yaml").get("config") or {}
    defaults = {}
    for key, spec in declared.items():
        if isinstance(spec, dict) and "default" in spec:
            defaults[_full_key(key)] = as_config_string(spec["default"])
        elif not isinstance(spec, dict):
            defaults[_full_key(key)] = as_config_string(spec)
    return defaults


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The config of `stack`, as the CLI passes it to the program (encrypted values as
    placeholders; `stack_config_and_secrets` says which)."""
    return stack_config_and_secrets(stack, project_dir)[0]


def secure_placeholder(key: str, config: dict[str, str]) -> str:
    """A stand-in for an encrypted value that the program accepts where the key may be a
    secret: a role of the SES account for sesRoleArn, a profile name otherwise."""
    if key == f"{PROJECT}:sesRoleArn":
        account = config.get(f"{PROJECT}:sesAccountId") or config.get(f"{PROJECT}:clusterAccountId") or "111111111111"
        return f"arn:aws:iam::{account}:role/encrypted-in-stack-file"
    return "encrypted-in-stack-file"


def stack_config_and_secrets(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], tuple[str, ...]]:
    """The config of `stack` and the keys the stack file holds encrypted (`secure:`).

    The offline plan cannot decrypt them (the CLI's secrets provider can): each becomes a
    placeholder, passed to the program as a secret, so a stack that keeps `sesRoleArn`
    encrypted, as the README recommends, plans like any other."""
    config = project_defaults(project_dir)
    secure = []
    for key, value in (_load_yaml(project_dir / f"Pulumi.{stack}.yaml").get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(_full_key(key))
            continue
        config[_full_key(key)] = as_config_string(value)
    for key in secure:
        config[key] = secure_placeholder(key, config)
    return config, tuple(secure)
