"""One source for every rule: the component (athenz_ses.args) and the repository's program
(program.settings) refuse the same bad value with the same words, only each in its own
names (`sender_domain` / `athenz-ses:senderDomain`). Pure functions: no engine runs."""

from __future__ import annotations

import dataclasses
import json
import string

import pytest

from athenz_ses.args import FIELDS, ArgsError, problems, resolve
from athenz_ses.patterns import Problem
from program.settings import ARG_KEYS, PROGRAM_ARGS, ConfigError, ConfigErrors, config_name, load_settings

# A value each rule refuses, per arg that has a config key. Booleans have no rule of the
# component's (YAML's types are the program's, "true or false"); the program's own args
# (accounts, Region, jar path, cross-account mode) are checked by the program alone.
BAD: dict[str, object] = {
    "sender_email": "zms at example.com",
    "email_domain_to": "example.com -javaagent:x.jar",
    "athenz_ui_url": "http://athenz.example.com",
    "workflow_url": "https://athenz.example.com/a b",
    "recipient_emails": ["alice"],
    "namespace": "Athenz_NS",
    "zms_layout": "kustomize",
    "zms_deployment": "ZMS",
    "zms_container": "zms.server",
    "notifier": "sendmail",
    "credentials": "password",
    "zms_role_arn": "arn:aws:iam::222222222222:user/zms",
    "eks_cluster_name": "-prod",
    "oidc_issuer_url": "https://oidc eks",
    "service_account_name": "ZMS",
    "sender_service_accounts": ["reports"],
    "plugin_factory_class": "not a class",
    "smoke_test_recipient": "ops",
    "existing_identities": ["not an identity"],
    "bounce_notification_emails": ["ops"],
    "sender_domain": "example .com",
    "mail_from_subdomain": "Mail From",
    "hosted_zone_id": "zone-1",
}
BOOLEANS = {arg for arg, field in FIELDS.items() if "bool" in str(field.type)}
BASE = {
    "aws:region": "eu-west-1",
    "athenz-ses:senderEmail": "zms@example.com",
    "athenz-ses:emailDomainTo": "example.com",
    "athenz-ses:recipientEmails": '["alice@example.com"]',
    "athenz-ses:credentials": "access-key",
}


def test_every_arg_with_a_config_key_has_a_bad_value_here():
    assert set(BAD) == set(ARG_KEYS) - PROGRAM_ARGS - BOOLEANS


def program_lines(raw: dict[str, str]) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_settings(raw)
    return str(caught.value).splitlines()


@pytest.mark.parametrize("arg", sorted(BAD))
def test_the_program_and_the_component_refuse_a_bad_value_with_the_same_words(arg):
    settings = load_settings(BASE)
    args = {field.name: getattr(settings.args, field.name) for field in dataclasses.fields(settings.args)}
    value = BAD[arg]
    resolved, found = resolve({**args, arg: value, **({"credentials": None} if arg == "notifier" else {})})
    assert resolved is not None and not found
    component = [problem for problem in problems(resolved) if problem.arg == arg]
    assert component, f"the component accepts {arg}={value!r}"
    # Every `{name}` in the words is an arg (else it would print as the bare name).
    named = {field for _, field, _, _ in string.Formatter().parse(component[0].expected) if field}
    assert named <= set(FIELDS)
    with pytest.raises(ArgsError) as raised:  # the component's own error, as a program sees it
        raise ArgsError("AthenzSesNotifications", component)
    assert str(raised.value).startswith(f"AthenzSesNotifications: {arg}: ")

    config_value = json.dumps(value) if isinstance(value, list) else str(value)
    raw = {**BASE, config_name(arg): config_value}
    if arg == "notifier":
        del raw["athenz-ses:credentials"]  # the notifier decides the default credentials
    lines = [line for line in program_lines(raw) if line.startswith(f"config {config_name(arg)}: ")]
    assert lines == [f"config {component[0].message(config_name)}"]


def test_a_problem_names_other_args_in_the_readers_words():
    problem = Problem("sender_domain", "example.net", "the domain of {sender_email}")
    assert problem.message() == "sender_domain: 'example.net' is not valid; expected the domain of sender_email"
    assert problem.message(config_name) == (
        "athenz-ses:senderDomain: 'example.net' is not valid; expected the domain of athenz-ses:senderEmail"
    )


def test_the_public_args_are_the_resolved_args():
    """AthenzSesNotificationsArgs (the typed input, for other languages too) and ResolvedArgs
    (the same args with their defaults) name the same args."""
    from athenz_ses.notifications import AthenzSesNotificationsArgs

    assert set(AthenzSesNotificationsArgs.__annotations__) == set(FIELDS)
