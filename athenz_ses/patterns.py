"""What a valid value looks like, for the values the package puts into names, ARNs and
ZMS's pod spec. The component checks its args with these, and the repository's program
checks its config with the same ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

REGION = re.compile(r"(?=.{1,32}\Z)[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DOMAIN = re.compile(r"(?=.{1,253}\Z)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
# Addresses and domains end up in `-D` flags of JDK_JAVA_OPTIONS, which the java launcher
# splits on white space, so they are kept to characters that need no quoting.
EMAIL = re.compile(r"(?=.{1,254}\Z)(?P<local>[A-Za-z0-9._%+-]{1,64})@(?P<domain>" + DOMAIN.pattern + ")")
JAVA_CLASS = re.compile(r"(?=.{1,255}\Z)[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+")
# namespace/name of a ServiceAccount: a namespace (DNS label) and a name (DNS subdomain).
SERVICE_ACCOUNT = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?")
# A link put into ZMS's mails (a -D flag too): https, a host, a port and a path, no quoting.
HTTPS_URL = re.compile(r"(?=.{1,2048}\Z)https://(" + DOMAIN.pattern + r")(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
# A role ARN: an optional path (at most 512 characters) and a name of at most 64.
ROLE_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/(?=.{1,576}\Z)([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}"
)
# An EKS cluster name (the EKS API's CreateCluster: letters, digits, '-' and '_', at most 100).
EKS_CLUSTER_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}")
# An IAM path (the IAM API's `Path`: `/`, or `/` + printable ASCII + `/`, at most 512).
IAM_PATH = re.compile(r"(?=.{1,512}\Z)/([\x21-\x7e]+/)?")
# A managed policy ARN (a permissions boundary): the account's own, or AWS's (`iam::aws:`).
POLICY_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/(?=.{1,640}\Z)([\x21-\x2e\x30-\x7e]+/)*[A-Za-z0-9+=,.@_-]{1,128}"
)
# A tag of an AWS resource, as IAM, SES, SNS and EKS take them: a key of 1 to 128 and a
# value of at most 256 letters, digits, spaces and _ . : / = + - @; at most 50 per resource.
TAG_KEY = re.compile(r"[\w .:/=+@-]{1,128}")
TAG_VALUE = re.compile(r"[\w .:/=+@-]{0,256}")
MAX_TAGS = 50


@dataclass(frozen=True)
class Problem:
    """One broken rule of a component's args: the arg, its value, and what is expected.
    In `expected`, `{other_arg}` names another arg: each reader writes it in its own words
    (the component as the arg, the repository's program as its config key)."""

    arg: str
    value: object
    expected: str

    def words(self, name: Callable[[str], str] = str) -> str:
        """`expected` with every `{arg}` written as `name(arg)`."""
        return self.expected.format_map(_Names(name))

    def message(self, name: Callable[[str], str] = str) -> str:
        """One line: the arg, the value and what is expected."""
        return f"{name(self.arg)}: {self.value!r} is not valid; expected {self.words(name)}"


class _Names(dict):
    def __init__(self, name: Callable[[str], str]):
        super().__init__()
        self.name = name

    def __missing__(self, key: str) -> str:
        return self.name(key)
