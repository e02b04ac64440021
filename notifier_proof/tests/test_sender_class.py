"""The committed class file is what its source compiles to, one class file, for Java 11, and
it links and runs against a newer ZMS's athenz-server-common as well."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CONFIGURATION, SENDER_CLASS, SENDER_DIR, USAGE, run_sender
from test_builtin_notifier import PRINCIPAL, assert_sent, recipient_address, send, without_factory

SOURCE = SENDER_DIR / f"{SENDER_CLASS}.java"
COMMITTED = SENDER_DIR / f"{SENDER_CLASS}.class"
JAVA_11 = 55  # class file major version


def compile_sender(classpath: str, out: Path) -> list[Path]:
    javac = shutil.which("javac")
    if javac is None:
        pytest.fail("javac (JDK 17) is required")
    out.mkdir(parents=True)
    subprocess.run([javac, "--release", "11", "-cp", classpath, "-d", str(out), str(SOURCE)], check=True)
    return sorted(out.rglob("*.class"))


def test_the_committed_class_is_what_the_source_compiles_to(classpath, tmp_path):
    """javac is deterministic for one JDK, source and set of flags: no timestamps go into a
    class file (the SourceFile attribute holds the file's name only). A JDK of another
    feature release may emit other bytes; the committed class is javac 17's."""
    (first,) = compile_sender(classpath, tmp_path / "a")
    (again,) = compile_sender(classpath, tmp_path / "b")
    assert first.name == COMMITTED.name
    assert first.read_bytes() == again.read_bytes(), "javac's output differs between two runs"
    assert first.read_bytes() == COMMITTED.read_bytes(), (
        f"{COMMITTED.relative_to(SENDER_DIR.parents[1])} differs from its source: rebuild it with "
        f"javac --release 11 -cp <notifier_proof/target/classpath.txt> -d athenz_ses/sender {SOURCE.name}"
    )


def test_it_is_one_class_file_for_java_11():
    data = COMMITTED.read_bytes()
    assert data[:4] == b"\xca\xfe\xba\xbe"
    assert int.from_bytes(data[6:8], "big") == JAVA_11
    assert sorted(p.name for p in SENDER_DIR.glob("*.class")) == [COMMITTED.name]
    assert SENDER_CLASS.encode() + b"$" not in data  # no nested, anonymous or lambda class of its own


def test_without_a_recipient_it_prints_its_usage(java, classpath, zms_conf, tmp_path):
    run = run_sender(java, classpath, {}, "", conf=zms_conf, home=tmp_path)
    assert run.code == USAGE and "usage:" in run.failure


def test_the_newer_classpath_has_the_newer_server_common(classpath, newer_classpath):
    def athenz(cp: str) -> set[str]:
        return {Path(p).name for p in cp.split(":") if Path(p).name.startswith("athenz-server")}

    assert athenz(classpath) == {"athenz-server-common-1.12.14.jar", "athenz-server-aws-common-1.12.14.jar"}
    assert athenz(newer_classpath) == {"athenz-server-common-1.12.44.jar", "athenz-server-aws-common-1.12.14.jar"}


def test_the_committed_class_sends_with_a_newer_athenz_server_common(
    stack_setups, moto, tmp_path, java, newer_classpath, zms_conf
):
    setup = stack_setups["local"]
    run, cluster = send(setup, moto, tmp_path, java, newer_classpath, zms_conf, recipient=PRINCIPAL)
    assert_sent(setup, moto, run, cluster, recipient_address(setup))


def test_and_fails_without_the_factory_property_there_too(
    stack_setups, moto, tmp_path, java, newer_classpath, zms_conf
):
    setup = stack_setups["local"]
    run, _ = send(setup, moto, tmp_path, java, newer_classpath, zms_conf, env_change=without_factory)
    assert run.code == CONFIGURATION
