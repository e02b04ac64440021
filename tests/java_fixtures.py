"""The Java sources the jar tests compile at test time, and how they are compiled: every
source once per release for the whole session, both releases at once (tests/conftest.py,
the `java_classes` fixture), each test then reading the classes of its own sources."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

# Shaped like the real plugin: a public factory and, in the same file, a package-private
# class holding the SMTP constants (so they land in Sender.class, not Notifier.class).
NOTIFIER = r"""
package com.example.ses;

public class Notifier {
    public Object create() { return new Sender("example.org"); }
}

class Sender {
    static final long L = 123456789012L;   // CONSTANT_Long / CONSTANT_Double: two pool slots,
    static final double D = 1.5;           // and in the pool before the strings below
    private static final String HOST = "email-smtp.ap-northeast-1.amazonaws.com";
    private static final int PORT = 587;
    private static final String FROM = "zms@example.com";
    private final String domainVar;

    Sender(String domainVar) { this.domainVar = domainVar; }
    long stamp() { return L + System.nanoTime(); }
    double scale(double x) { return D * x; }
    java.util.Properties props() {
        java.util.Properties p = new java.util.Properties();
        p.put("mail.smtp.host", HOST);
        p.put("mail.smtp.port", PORT);
        return p;
    }
    String from() { return FROM; }
    String to() { return "user" + "@" + domainVar; }
    String rcpt(String recipient) { return recipient + "@example.org"; }
    Runnable auth() { return new Runnable() { public void run() { System.out.println(HOST); } }; }
}
"""

TEXTS = r"""
package com.example.ses;

class Texts {
    static String[] all() {
        return new String[] {
            "nul\0end", "emoji \uD83D\uDE00", "na\u00efve",
            "Contact help@example.net for help",
            "Athenz <ops@example.com>",
            "email-smtp-fips.us-east-1.amazonaws.com",
            "smtps://email-smtp.eu-west-1.amazonaws.com:465",
        };
    }
}
"""


# A shaded library in another package: its strings are not the plugin's settings.
LIBRARY = r"""
package org.example.mail;

public class Defaults {
    public static final String HOST = "email-smtp.us-west-2.amazonaws.com";
    public static final String FROM = "postmaster@example.net";
    public static String[] all() { return new String[] { HOST, FROM }; }
}
"""


SOURCES = {
    "com/example/ses/Notifier.java": NOTIFIER,
    "com/example/ses/Texts.java": TEXTS,
    "org/example/mail/Defaults.java": LIBRARY,
}
RELEASES = ("17", "8")
# javac and javap run for under a second: the JIT's first tier alone and the serial
# collector start the JVM faster. What they write does not depend on either.
QUICK_JVM = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")


def start_javac(javac: str, out: Path, sources: dict[str, str], release: str) -> tuple[subprocess.Popen, Path]:
    """javac for `sources` (path -> text) into out/classes, started (the caller waits)."""
    src = out / "src"
    for name, text in sources.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    classes = out / "classes"
    command = [javac, *QUICK_JVM, "-nowarn", "-Xlint:-options", "--release", release, "-d", str(classes)]
    process = subprocess.Popen(
        [*command, *map(str, sorted(src.rglob("*.java")))], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return process, classes


_PACKAGE = re.compile(r"^package ([\w.]+);", re.M)
_TOP_LEVEL_TYPE = re.compile(r"^(?:(?:public|final|abstract) )*(?:class|interface|enum|record) (\w+)", re.M)


def own_classes(classes: Path, sources: dict[str, str], out: Path) -> Path:
    """A copy of the class files javac wrote for `sources` alone (their top-level types and
    the types nested in those), from a folder javac filled from more sources."""
    outer = set()
    for text in sources.values():
        package = _PACKAGE.search(text)
        prefix = package.group(1).replace(".", "/") + "/" if package else ""
        outer |= {prefix + name for name in _TOP_LEVEL_TYPE.findall(text)}
    for path in classes.rglob("*.class"):
        name = path.relative_to(classes).as_posix().removesuffix(".class").split("$")[0]
        if name in outer:
            (out / path.relative_to(classes)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out / path.relative_to(classes))
    return out


def make_jar(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def jar_of(classes: Path) -> bytes:
    return make_jar(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
            **{p.relative_to(classes).as_posix(): p.read_bytes() for p in sorted(classes.rglob("*.class"))},
        }
    )
