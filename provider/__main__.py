"""The component provider: AthenzSesNotifications for programs in other languages.

Pulumi's Python component provider host reads the component's type annotations (its
args TypedDict, its Output attributes and their docstrings) into the package schema of
`athenz-ses`; the resource type is `athenz-ses:index:AthenzSesNotifications`. The
schema's version is the package's (without it, the host states 0.0.0).
"""

from pulumi.provider.experimental import component_provider_host

from athenz_ses import AthenzSesNotifications, __version__
from athenz_ses.notifications import PACKAGE


def main() -> None:
    component_provider_host([AthenzSesNotifications], name=PACKAGE, version=__version__)


if __name__ == "__main__":
    main()
