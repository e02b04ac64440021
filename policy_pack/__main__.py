"""The CrossGuard policy pack: `pulumi preview --policy-pack policy_pack`.

Starting the pack serves it over gRPC and blocks, so the rules live in rules.py and
the pulumi_policy wrappers in pack.py, where the tests import them.
"""

import sys
from pathlib import Path

# The rules share constants with the program (components/, offline_plan/): the project
# root must be importable when the Pulumi CLI starts the pack from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policy_pack.pack import NAME, policies  # noqa: E402

PolicyPack(name=NAME, policies=policies())
