"""Read the string constants of the notification plugin jar, and warn where they disagree
with the stack's config.

Why: the third-party SMTP plugin (`com.mlajkim.athenz.AwsSesPlugin`) ignores
`sesRegion`, `senderEmail` and `emailDomainTo`. Its package-private class `SesService`
(same source file, so `com/mlajkim/athenz/SesService.class`) hard-codes, as
`private static final` compile-time constants, the SMTP host
`email-smtp.ap-northeast-1.amazonaws.com`, port 587 and its From address, and appends a
fixed `@<domain>` to every recipient (`recipient + "@..."`). An SES SMTP password is
derived for one Region and works only there, so a jar built for another Region fails
to authenticate, whatever the stack says.

How: a class file's constant pool holds every string literal as a CONSTANT_String (JVM
spec SE 17 §4.4, https://docs.oracle.com/javase/specs/jvms/se17/html/jvms-4.html#jvms-4.4).
javac inlines compile-time constants at their use sites (and keeps them in the field's
ConstantValue attribute), and since Java 9 it compiles `x + "@example.com"` to an
invokedynamic `makeConcatWithConstants` whose recipe, "\\u0001@example.com", is a
CONSTANT_String bootstrap argument, so this scan sees it too. (`--release 8` uses
StringBuilder and a plain "@example.com" constant instead.)
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

# Sizes, after the tag byte, of the fixed-size constant pool entries (JVMS §4.4, Table 4.4-B).
_FIXED = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}
_UTF8, _STRING, _LONG, _DOUBLE = 1, 8, 5, 6


def _modified_utf8(raw: bytes) -> str:
    """Java's "modified UTF-8": NUL is C0 80, supplementary characters are surrogate pairs."""
    raw = raw.replace(b"\xc0\x80", b"\x00")
    try:  # join the surrogate pairs (CESU-8) into real characters
        text = raw.decode("utf-8", "surrogatepass")
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def class_string_constants(class_bytes: bytes) -> list[str]:
    """The CONSTANT_String values of one class file, in constant pool order."""
    b = bytes(class_bytes)
    if len(b) < 10 or b[:4] != b"\xca\xfe\xba\xbe":
        raise ValueError("not a JVM class file (bad magic)")
    u2 = lambda p: (b[p] << 8) | b[p + 1]  # noqa: E731
    utf8: dict[int, tuple[int, int]] = {}
    strings: list[int] = []
    count, i, pos = u2(8), 1, 10
    try:
        while i < count:  # entries are numbered 1..count-1
            tag = b[pos]
            if tag == _UTF8:
                end = pos + 3 + u2(pos + 1)
                utf8[i] = (pos + 3, end)
                pos = end
            elif tag in _FIXED:
                if tag == _STRING:
                    strings.append(u2(pos + 1))
                pos += 1 + _FIXED[tag]
                i += tag in (_LONG, _DOUBLE)  # 8-byte constants take two slots (§4.4.5)
            else:
                raise ValueError(f"unknown constant pool tag {tag} at entry {i}")
            i += 1
        # Walk the rest of the class (§4.1) only to check that it is all there.
        pos += 6
        pos += 2 + 2 * u2(pos)  # interfaces
        for _members in range(2):  # fields, then methods
            n, pos = u2(pos), pos + 2
            for _ in range(n):
                attrs, pos = u2(pos + 6), pos + 8
                for _ in range(attrs):
                    pos += 6 + int.from_bytes(b[pos + 2 : pos + 6], "big")
        attrs, pos = u2(pos), pos + 2
        for _ in range(attrs):
            pos += 6 + int.from_bytes(b[pos + 2 : pos + 6], "big")
    except IndexError:
        raise ValueError("truncated class file") from None
    if pos != len(b):
        raise ValueError("truncated class file" if pos > len(b) else "trailing bytes after the class file")
    try:
        return [_modified_utf8(b[slice(*utf8[s])]) for s in strings]
    except KeyError as e:
        raise ValueError(f"CONSTANT_String refers to entry {e.args[0]}, which is not a Utf8") from None


def jar_string_constants(jar: bytes | str | Path) -> dict[str, list[str]]:
    """Class entry name -> its string constants, for every `*.class` of the jar (any path)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(jar) if isinstance(jar, (bytes, bytearray)) else jar)
    except zipfile.BadZipFile as e:
        raise ValueError(f"not a jar (zip) file: {e}") from None
    out: dict[str, list[str]] = {}
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".class"):
                continue
            try:
                out[info.filename] = class_string_constants(zf.read(info))
            except (ValueError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
                raise ValueError(f"{info.filename}: {e}") from None
    return out


_ENDPOINT = re.compile(r"email-smtp(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com", re.I)
_ADDR = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
# The whole constant is an address, bare or as `Name <address>`.
_WHOLE_ADDR = re.compile(rf"\s*(?:[^<>@]*<)?({_ADDR})>?\s*")
# A recipient-domain suffix: "\u0001@domain" (indy recipe) or "@domain" (StringBuilder).
_DOMAIN_SUFFIX = re.compile(r"\x01?@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def smtp_findings(
    constants: dict[str, list[str]],
    ses_region: str,
    sender_email: str,
    recipient_domains: tuple[str, ...] | str | None = None,
) -> list[str]:
    """Warnings for hard-coded SMTP endpoints of another Region, From addresses other than
    `sender_email`, and (if `recipient_domains` are given: emailDomainTo, or the sandbox
    recipients' domains) a recipient domain among none of them.

    One warning per value, naming every class that holds it (javac copies a constant into
    each class that uses it). An endpoint counts anywhere in a constant (e.g. inside a
    URL); an address counts only when it is the whole constant, so log messages and
    library text do not raise noise.
    """
    if isinstance(recipient_domains, str):
        recipient_domains = (recipient_domains,)
    domains = tuple(d.lower() for d in recipient_domains or ())
    found: dict[tuple[str, str], list[str]] = {}
    for cls, values in constants.items():
        for v in dict.fromkeys(values):
            for m in _ENDPOINT.finditer(v):
                if m[1].lower() != ses_region.lower():
                    found.setdefault(("endpoint", m[0]), []).append(cls)
            if (a := _WHOLE_ADDR.fullmatch(v)) and a[1].lower() != sender_email.lower():
                found.setdefault(("address", a[1]), []).append(cls)
            if domains and (d := _DOMAIN_SUFFIX.fullmatch(v)) and d[1].lower() not in domains:
                found.setdefault(("domain", d[1]), []).append(cls)
    out = []
    for (kind, value), classes in found.items():
        where = ", ".join(sorted(set(classes)))
        if kind == "endpoint":
            out.append(
                f"the plugin jar hard-codes SMTP endpoint {value!r} ({where}), but sesRegion is "
                f"{ses_region}: SES SMTP passwords are valid only in the Region they were derived for"
            )
        elif kind == "address":
            out.append(
                f"the plugin jar hard-codes the email address {value!r} ({where}), but senderEmail is "
                f"{sender_email}: the plugin ignores senderEmail and sends From the address it hard-codes"
            )
        else:
            out.append(
                f"the plugin jar appends the recipient domain '@{value}' ({where}), but the stack mails "
                f"{' or '.join(domains)} (emailDomainTo, else the sandbox recipients): the plugin mails "
                "<name>@" + value + ", addresses the stack never verified"
            )
    return out


def smtp_endpoints(constants: dict[str, list[str]]) -> list[str]:
    """Every distinct SMTP endpoint the classes hard-code, in order of appearance."""
    found = (m[0].lower() for values in constants.values() for v in values for m in _ENDPOINT.finditer(v))
    return list(dict.fromkeys(found))


def email_addresses(constants: dict[str, list[str]]) -> list[str]:
    """Every distinct constant that is an address (bare or as `Name <address>`)."""
    found = (a[1] for values in constants.values() for v in values if (a := _WHOLE_ADDR.fullmatch(v)))
    return list(dict.fromkeys(found))
