"""components/jar_constants.py against class files that javac (JDK 17) compiles at test time,
cross-checked with javap: neither tool was written here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from java_fixtures import NOTIFIER, QUICK_JVM, TEXTS, jar_of, make_jar

from program.jar_constants import class_string_constants, jar_string_constants, smtp_findings

HOST = "email-smtp.ap-northeast-1.amazonaws.com"
SENDER_CLASS = "com/example/ses/Sender.class"
NOTIFIER_SOURCE = {"com/example/ses/Notifier.java": NOTIFIER}


def javap_pool(classfile: Path) -> list[tuple[int, str, str]]:
    """(index, kind, comment) of every constant pool entry, as javap -v prints them."""
    out = subprocess.run(
        [shutil.which("javap") or "javap", *QUICK_JVM, "-v", str(classfile)], check=True, capture_output=True, text=True
    ).stdout
    return [(int(i), kind, rest) for i, kind, rest in re.findall(r"^\s*#(\d+) = (\w+)\s+(.*)$", out, re.M)]


@pytest.fixture(scope="module", params=["17", "8"])
def plugin(request, java_classes) -> tuple[str, Path, bytes]:
    classes = java_classes(NOTIFIER_SOURCE, request.param)
    return request.param, classes, jar_of(classes)


def test_constants_of_the_compiled_classes(plugin):
    release, classes, jar = plugin
    constants = jar_string_constants(jar)
    assert set(constants) == {"com/example/ses/Notifier.class", SENDER_CLASS, "com/example/ses/Sender$1.class"}
    sender = constants[SENDER_CLASS]
    assert {HOST, "zms@example.com", "mail.smtp.host", "mail.smtp.port"} <= set(sender)
    if release == "17":  # invokedynamic makeConcatWithConstants: recipes are CONSTANT_String bootstrap arguments
        assert {"user@\x01", "\x01@example.org"} <= set(sender)
    else:  # StringBuilder; javac folds "user" + "@"
        assert {"user@", "@example.org"} <= set(sender)
    assert HOST in constants["com/example/ses/Sender$1.class"]  # compile-time constants are inlined at use sites
    assert class_string_constants((classes / SENDER_CLASS).read_bytes()) == sender


def test_two_slot_constants_before_the_strings(plugin):
    _, classes, jar = plugin
    pool = javap_pool(classes / SENDER_CLASS)
    kinds = {kind for _, kind, _ in pool}
    assert {"Long", "Double", "String", "Methodref", "Fieldref", "NameAndType", "Class"} <= kinds
    first_long = min(i for i, kind, _ in pool if kind in ("Long", "Double"))
    host = next(i for i, kind, rest in pool if kind == "String" and rest.endswith(HOST))
    assert first_long < host
    ours = jar_string_constants(jar)[SENDER_CLASS]
    assert len(ours) == sum(kind == "String" for _, kind, _ in pool)
    assert [s for s in ours if s.isprintable()] == [
        rest.split("// ", 1)[1] for _, kind, rest in pool if kind == "String" and "\\" not in rest
    ]


def test_findings(plugin):
    constants = jar_string_constants(plugin[2])
    # One warning per value, naming every class javac copied it into.
    assert smtp_findings(constants, "eu-west-1", "zms@example.com") == [
        f"the plugin jar hard-codes SMTP endpoint '{HOST}' (com/example/ses/Sender$1.class, {SENDER_CLASS}), "
        "but sesRegion is eu-west-1: SES SMTP passwords are valid only in the Region they were derived for"
    ]
    assert smtp_findings(constants, "ap-northeast-1", "ZMS@Example.com", "EXAMPLE.org") == []
    (other,) = smtp_findings(constants, "ap-northeast-1", "other@example.com")
    assert "'zms@example.com'" in other and SENDER_CLASS in other and "senderEmail is other@example.com" in other
    (domain,) = smtp_findings(constants, "ap-northeast-1", "zms@example.com", "example.net")
    assert "'@example.org'" in domain and "the stack mails example.net" in domain


def test_decoding_and_what_counts_as_an_address(java_classes):
    constants = jar_string_constants(jar_of(java_classes({"com/example/ses/Texts.java": TEXTS})))
    texts = constants["com/example/ses/Texts.class"]
    assert {"nul\0end", "emoji \U0001f600", "na\u00efve"} <= set(texts)  # modified UTF-8: C0 80 and surrogate pairs
    (url,) = smtp_findings(constants, "us-east-1", "ops@example.com")  # "Name <address>" is senderEmail
    assert "'email-smtp.eu-west-1.amazonaws.com' (com/example/ses/Texts.class)" in url  # inside a URL counts
    (fips,) = smtp_findings(constants, "eu-west-1", "ops@example.com")
    assert "'email-smtp-fips.us-east-1.amazonaws.com'" in fips
    (addr,) = [f for f in smtp_findings(constants, "eu-west-1", "zms@example.com", "example.com") if "@" in f]
    assert "'ops@example.com'" in addr  # the address of "Name <address>"; not the one inside a sentence
    assert len(smtp_findings(constants, "us-west-2", "ops@example.com")) == 2


def test_jars_without_classes():
    assert jar_string_constants(make_jar({})) == {}
    assert jar_string_constants(make_jar({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})) == {}
    assert smtp_findings({}, "eu-west-1", "zms@example.com", "example.com") == []


def test_jar_from_a_path(plugin, tmp_path):
    (tmp_path / "plugin.jar").write_bytes(plugin[2])
    assert jar_string_constants(tmp_path / "plugin.jar") == jar_string_constants(plugin[2])


@pytest.mark.parametrize("data", [b"", b"not a zip", b"\xca\xfe\xba\xbe" + bytes(20)])
def test_not_a_zip(data):
    with pytest.raises(ValueError, match="not a jar"):
        jar_string_constants(data)


def test_broken_classes(plugin):
    data = (plugin[1] / SENDER_CLASS).read_bytes()
    for n in range(len(data)):  # every truncation, inside the constant pool or after it
        with pytest.raises(ValueError, match="truncated|bad magic"):
            class_string_constants(data[:n])
    with pytest.raises(ValueError, match="trailing bytes"):
        class_string_constants(data + b"\0")
    with pytest.raises(ValueError, match="bad magic"):
        class_string_constants(b"PK\x03\x04" + data[4:])
    with pytest.raises(ValueError, match=r"^x/Sender\.class: truncated"):
        jar_string_constants(make_jar({"x/Sender.class": data[: len(data) // 2]}))
    with pytest.raises(ValueError, match="unknown constant pool tag 99"):
        class_string_constants(data[:10] + b"\x63" + data[11:])
