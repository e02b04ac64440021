"""Pulumi.yaml is the one schema of the stack config (`config` and `optionalConfig`):
the program's defaults are read from it, and what else names the keys (the component's
args and defaults, the documentation's configuration reference, generated from it by
docs/gen_docs.py) is held to it here."""

from __future__ import annotations

import html
import re

import yaml

from athenz_ses.args import CHOICES
from athenz_ses.args import DEFAULTS as COMPONENT_DEFAULTS
from athenz_ses.notifications import AthenzSesNotificationsArgs
from docs.gen_docs import config_reference
from offline_plan.engine import PROJECT_DIR
from program.settings import ARG_KEYS, DEFAULTS, SECRET_CAPABLE, config_schema

SCHEMA = config_schema()
# Keys that configure the program's AWS providers, not the component (which takes the
# providers themselves).
PROVIDER_KEYS = {"clusterAccountId", "sesRoleArn", "sesProfile", "hostedZoneAccountId", "hostedZoneRoleArn"}
REFERENCE_ROW = re.compile(
    r"^\| `(?P<key>[A-Za-z:]+)` \| (?P<type>[^|]+) \| (?P<default>[^|]+) \| (?P<meaning>(?:[^|\\]|\\\|)+) \|", re.M
)


def snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def reference_rows() -> dict[str, tuple[str, str, str]]:
    """The generated configuration reference (docs/configuration.md on the site): key ->
    (type, default, meaning)."""
    rows = [m for m in REFERENCE_ROW.finditer(config_reference())]
    assert len({m["key"] for m in rows}) == len(rows), "a key listed twice"

    # As the text reads: a cell escapes `|` and, outside code, `<placeholder>`.
    def text(cell: str) -> str:
        return html.unescape(cell.strip().replace("\\|", "|"))

    return {m["key"]: (text(m["type"]), text(m["default"]), text(m["meaning"])) for m in rows}


def test_the_program_knows_exactly_the_keys_of_the_schema():
    assert list(DEFAULTS) == list(SCHEMA)
    assert DEFAULTS["sandbox"] == "true" and DEFAULTS["recipientEmails"] == "[]" and DEFAULTS["senderEmail"] is None


def test_optional_keys_have_no_static_default_and_every_key_a_description():
    optional = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["optionalConfig"]
    assert optional and all("default" not in spec for spec in optional.values())
    assert all(spec.get("description") and spec.get("type") for spec in SCHEMA.values())


def test_every_key_but_the_provider_ones_is_an_arg_of_the_component():
    args = set(AthenzSesNotificationsArgs.__annotations__)
    assert {snake(key) for key in SCHEMA if key not in PROVIDER_KEYS} <= args
    assert not {snake(key) for key in PROVIDER_KEYS} & args


def test_the_component_defaults_are_the_schema_defaults():
    """Programs that use the component without this stack config get the same defaults."""
    for key, spec in SCHEMA.items():
        name = snake(key)
        if "default" in spec and key != "crossAccountMode":
            # crossAccountMode: the component takes None for "SES in the cluster account".
            assert name in COMPONENT_DEFAULTS, key
            value = COMPONENT_DEFAULTS[name]
            assert (list(value) if isinstance(value, tuple) else value) == spec["default"], key
        else:
            assert name not in COMPONENT_DEFAULTS, key


def test_the_reference_lists_every_key_with_its_static_default():
    rows = reference_rows()
    assert set(rows) - {"aws:region", "aws:profile", "aws:allowedAccountIds", "kubernetes:context"} == set(SCHEMA)
    for key, spec in SCHEMA.items():
        reference_type, reference_default, meaning = rows[key]
        if "default" in spec:
            shown = (
                "[]"
                if spec["default"] == []
                else str(spec["default"]).lower()
                if isinstance(spec["default"], bool)
                else spec["default"]
            )
            assert reference_default == f"`{shown}`", key
        else:  # derived or unset: the reference says how, never a bare value
            assert not re.fullmatch(r"`[^`<]*`", reference_default), key  # <stack>: a placeholder
        if spec["type"] == "boolean":
            assert reference_type == "boolean", key
        if spec["type"] == "array":
            assert reference_type.startswith("list"), key
        # The meaning is Pulumi.yaml's description, less its "Default: ..." sentence.
        sentences = meaning.removesuffix(" May be a secret.").rstrip(".").split(". ")
        assert meaning and all(sentence in spec["description"] for sentence in sentences), key


def test_the_reference_shows_the_values_the_rules_accept_and_the_secrets():
    rows = reference_rows()
    arg_of = {key: arg for arg, key in ARG_KEYS.items()}
    for key, (reference_type, _, meaning) in rows.items():
        choices = CHOICES.get(arg_of.get(key, ""), ())
        assert all(f"`{choice}`" in reference_type for choice in choices), key
        secret = key if ":" in key else f"athenz-ses:{key}"
        assert ("May be a secret." in meaning) == (secret in SECRET_CAPABLE), key
    assert all(
        f"`{c}`" in rows["credentials"][0] for c in ("irsa", "pod-identity", "access-key", "existing-role", "smtp")
    )
