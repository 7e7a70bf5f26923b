"""The settings are the one place the default phone region is set, checked and spelled one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.core.errors import ConfigError
from hotline.core.settings import load_settings


def test_the_region_is_a_country_code_in_capitals(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('default_region = " gb "\n', encoding="utf-8")
    assert load_settings(config).default_region == "GB"
    assert load_settings(tmp_path / "config.toml", default_region="kz").default_region == "KZ"


@pytest.mark.parametrize("region", ["", "XX", "Russia", "R U"])
def test_an_unknown_region_names_the_file_and_the_field(tmp_path: Path, region: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'default_region = "{region}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert "default_region: unknown region" in str(error.value)
