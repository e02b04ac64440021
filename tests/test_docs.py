"""The documentation: a short README that starts as CI does and leads to every page of the
site, a site whose every page is in its navigation, and generated pages (docs/gen_docs.py)
that reach every error the program can print. The site's own build (`mkdocs build
--strict`, a stage of .ci/run) checks links and anchors; these tests need no MkDocs."""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from athenz_ses.args import CHOICES, SHAPES
from athenz_ses.patterns import Problem
from docs import gen_docs
from offline_plan.engine import PROJECT_DIR
from program.settings import ConfigError, load_settings

README = PROJECT_DIR / "README.md"
DOCS = PROJECT_DIR / "docs"
MKDOCS = PROJECT_DIR / "mkdocs.yml"
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def nav_pages(entries: object) -> list[str]:
    """The page of every navigation entry, in order."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in nav_pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in nav_pages(value)]
    return []


def mkdocs_config() -> dict:
    return yaml.safe_load(MKDOCS.read_text())


def pages() -> set[str]:
    return {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}


# --- README ---------------------------------------------------------------------------


def test_the_readme_is_short():
    assert len(README.read_text().splitlines()) < 250


def _steps(commands: list[str]) -> list[str]:
    """Shell commands split at `&&`, without the flags that only quiet their output."""
    quiet = {"--quiet", "-q", "--disable-pip-version-check", "--no-audit", "--no-fund", "--loglevel=error"}
    steps = []
    for command in commands:
        for step in command.split("&&"):
            words = [w for w in step.split() if w not in quiet]
            steps.append(" ".join(words).replace("venv/bin/python -m pip install", "venv/bin/pip install"))
    return steps


def test_start_here_is_what_ci_runs_first():
    text = README.read_text()
    section = text[text.index("## Start here") :]
    block = section[section.index("```sh\n") + 6 : section.index("```", section.index("```sh\n") + 6)]
    readme = _steps(block.strip().splitlines())
    ci = [
        line
        for line in (PROJECT_DIR / ".ci/run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert readme == _steps(ci)[: len(readme)]
    assert readme[-1] == "venv/bin/python -m pytest"


def test_the_readme_leads_to_every_page_of_the_site():
    linked = {m["target"] for m in LINK.finditer(README.read_text())}
    assert {f"docs/{page}" for page in nav_pages(mkdocs_config()["nav"])} <= linked
    for target in linked - {t for t in linked if t.startswith(("http://", "https://"))}:
        assert (PROJECT_DIR / target).exists(), target


def test_the_page_the_unknown_key_error_names_exists():
    # program/settings.py: "a key this project knows (Pulumi.yaml lists them, docs/configuration.md explains them)".
    from program.settings import _unknown_key_hint

    assert "(Pulumi.yaml lists them, docs/configuration.md explains them)" in _unknown_key_hint("x")
    assert (PROJECT_DIR / "docs" / "configuration.md").is_file()


# --- the site -----------------------------------------------------------------------------


def test_every_page_is_in_the_navigation_and_every_entry_is_a_page():
    nav = nav_pages(mkdocs_config()["nav"])
    assert len(nav) == len(set(nav))
    assert set(nav) == pages()


def test_the_build_is_strict_and_refuses_broken_references():
    config = mkdocs_config()
    assert config["strict"] is True
    assert config["hooks"] == ["docs/gen_docs.py"]
    # With strict, a warning fails the build: broken links and anchors, pages left out.
    assert {key: config["validation"].get(key) for key in ("omitted_files", "not_found", "anchors")} == dict.fromkeys(
        ("omitted_files", "not_found", "anchors"), "warn"
    )
    assert config["validation"]["unrecognized_links"] == "warn"


def test_every_marker_names_a_generated_part_and_each_part_is_used():
    used = [m["name"] for page in DOCS.rglob("*.md") for m in gen_docs.MARKER.finditer(page.read_text())]
    assert sorted(used) == sorted(gen_docs.GENERATED)


def test_the_docs_name_only_example_addresses_and_accounts():
    texts = [README.read_text(), *(page.read_text() for page in DOCS.rglob("*.md"))]
    texts += [gen_docs.error_catalogue(), gen_docs.warning_catalogue(), gen_docs.config_reference()]
    text = "\n".join(texts)
    for address in re.findall(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", text):
        domain = address.rsplit("@", 1)[1].lower()
        assert domain in ("example.com", "example.org", "simulator.amazonses.com"), address
    # The placeholder accounts, an unquoted id's example, and AWS's own documentation example.
    allowed = {"111111111111", "222222222222", "333333333333", "444444444444", "022222222222", "123456789012"}
    assert set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", text)) <= allowed
    assert tempfile.gettempdir() not in text and str(PROJECT_DIR) not in text


# --- the generated pages ------------------------------------------------------------------


@pytest.mark.parametrize("base", gen_docs.BASES)
def test_each_base_of_the_catalogues_is_a_good_config(base):
    with gen_docs.project_folder() as project:
        settings = gen_docs.settle(gen_docs.Case("senderEmail", "good", base), project)
        assert load_settings(gen_docs.BASES[base], project) is not None
    if base != "SMTP plugin":  # the plugin ignores athenzUiUrl and workflowUrl
        assert settings.warnings() == [], base


def construction_sites() -> set[tuple[str, int]]:
    """Every place that builds an error of the config or of the component's args: a call
    of Problem or ConfigError, less the `unused` args (warnings, not errors)."""
    sites = set()
    for name in (
        "athenz_ses/args.py",
        "athenz_ses/zms_wiring.py",
        "athenz_ses/notifications.py",
        "program/settings.py",
    ):
        path = PROJECT_DIR / name
        tree = ast.parse(path.read_text())
        warnings = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "unused"]
        skipped = {line for n in warnings for line in range(n.lineno, (n.end_lineno or n.lineno) + 1)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("Problem", "ConfigError")
                and node.lineno not in skipped
            ):
                sites.add((str(path), node.lineno))
    return sites


def test_the_error_catalogue_reaches_every_error_the_program_and_the_component_build():
    codes = {Problem.__init__.__code__, ConfigError.__init__.__code__}
    reached: set[tuple[str, int]] = set()

    def profile(frame, event, _arg):
        if event == "call" and frame.f_code in codes and frame.f_back is not None:
            reached.add((str(Path(frame.f_back.f_code.co_filename).resolve()), frame.f_back.f_lineno))

    sys.setprofile(profile)
    try:
        text = gen_docs.error_catalogue()
    finally:
        sys.setprofile(None)
    missing = sorted(construction_sites() - reached)
    assert not missing, f"no catalogue entry reaches these errors (docs/gen_docs.py CATALOGUE): {missing}"
    # One call builds the error of every pattern and every choice: each has an entry.
    shown_args = {case.key for case in gen_docs.CATALOGUE} | {case.arg for case in gen_docs.COMPONENT_CATALOGUE}
    for arg in [*SHAPES, *CHOICES]:
        key = gen_docs.ARG_KEYS.get(arg, arg)
        assert key in shown_args or arg in shown_args, arg
    assert text.count("is not valid") == len(gen_docs.CATALOGUE) + len(gen_docs.COMPONENT_CATALOGUE)


def test_the_warning_catalogue_gives_each_entry_its_warning():
    text = gen_docs.warning_catalogue()
    assert text.count("```text") >= len(gen_docs.WARNING_CATALOGUE)


def test_generated_text_replaces_the_markers():
    page = (DOCS / "configuration.md").read_text()
    expanded = gen_docs.expand(page)
    assert "<!-- generated:" not in expanded and "| `senderEmail` |" in expanded
    with pytest.raises(KeyError):
        gen_docs.expand("<!-- generated: nothing here -->")
