"""The CrossGuard policy pack: `pulumi preview --policy-pack policy_pack`.

The CLI runs this folder (`python -m pulumi.policy`, which puts the folder on sys.path),
so the pack's modules import each other by their own names and need nothing of the
program. Starting the pack serves it over gRPC and blocks, so the rules live in
rules.py and the pulumi_policy wrappers in pack.py, where the tests import them.
"""

from pack import NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=NAME, policies=policies())
