"""ZmsWiring's own limits, checked before it registers anything (our own mock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from athenz_ses.zms_wiring import MAX_JAR_BYTES, MAX_NAME_PREFIX

from .test_zms_wiring import CONFIG_MAP, PATCH, build


def test_a_jar_that_fits_a_config_map_is_shipped(mocks, tmp_path: Path):
    jar = tmp_path / "plugin.jar"
    jar.write_bytes(b"\0" * MAX_JAR_BYTES)
    build(plugin_jar=jar)
    assert len(mocks.of_type(CONFIG_MAP)) == 1


def test_a_jar_too_big_for_a_config_map_is_refused_before_anything_is_registered(mocks, tmp_path: Path):
    jar = tmp_path / "plugin.jar"
    jar.write_bytes(b"\0" * (MAX_JAR_BYTES + 1))
    with pytest.raises(
        ValueError, match=f"a plugin jar of at most {MAX_JAR_BYTES} bytes .*; this file has {MAX_JAR_BYTES + 1} bytes"
    ):
        build(plugin_jar=jar)
    assert mocks.resources == []


def test_a_name_prefix_whose_config_map_name_would_not_be_a_dns_label_is_refused(mocks, tmp_path: Path):
    build(name_prefix="a" * MAX_NAME_PREFIX)
    assert len(mocks.of_type(PATCH)) == 1
    with pytest.raises(ValueError, match=f"at most {MAX_NAME_PREFIX} characters"):
        build(name_prefix="a" * (MAX_NAME_PREFIX + 1))
    assert len(mocks.of_type(PATCH)) == 1  # the refused one registered nothing
