"""The component provider: AthenzSesNotifications for programs in other languages.

Pulumi's Python component provider host reads the component's type annotations (its
args TypedDict, its Output attributes and their docstrings) into the package schema of
`athenz-ses`; the resource type is `athenz-ses:index:AthenzSesNotifications`.
"""

from pulumi.provider.experimental import component_provider_host

from athenz_ses import AthenzSesNotifications
from athenz_ses.notifications import PACKAGE

if __name__ == "__main__":
    component_provider_host([AthenzSesNotifications], name=PACKAGE)
