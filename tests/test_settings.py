"""Settings: where the data folder is, and the proxy hop count."""

from __future__ import annotations

from pathlib import Path

import pytest

import idp
from idp.settings import load_settings


def test_the_default_data_folder_does_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    here = load_settings(environ={}).data_dir
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    there = load_settings(environ={}).data_dir
    assert here == there
    assert here.is_absolute()
    # This checkout holds the package, so its var/ folder is the default.
    assert here == Path(idp.__file__).resolve().parent.parent / "var"


def test_a_relative_data_folder_is_made_absolute_when_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"IDP_DATA_DIR": "data"})
    monkeypatch.chdir("/")
    assert settings.data_dir == tmp_path.resolve() / "data"


@pytest.mark.parametrize(("value", "hops"), [("0", 0), ("1", 1), ("2", 2)])
def test_trusted_proxies_come_from_the_environment(value: str, hops: int) -> None:
    assert load_settings(environ={"IDP_TRUSTED_PROXIES": value}).trusted_proxies == hops


def test_no_proxy_is_trusted_by_default() -> None:
    assert load_settings(environ={}).trusted_proxies == 0


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11"])
def test_a_bad_proxy_count_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="IDP_TRUSTED_PROXIES"):
        load_settings(environ={"IDP_TRUSTED_PROXIES": value})


def test_the_face_match_tolerance_is_stricter_than_the_librarys_by_default() -> None:
    assert load_settings(environ={}).face_match_tolerance == 0.5
    assert load_settings(environ={"IDP_FACE_MATCH_TOLERANCE": "0.45"}).face_match_tolerance == 0.45


@pytest.mark.parametrize("value", ["0", "-0.1", "0.61", "1", "loose", "nan"])
def test_a_bad_face_match_tolerance_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="IDP_FACE_MATCH_TOLERANCE"):
        load_settings(environ={"IDP_FACE_MATCH_TOLERANCE": value})


def test_the_settings_defaults_are_the_default_files() -> None:
    """An installed wheel has no config folder and starts from ``Settings``' defaults."""
    import tomllib

    from idp.settings import CONFIG_DIR, Settings

    with (CONFIG_DIR / "default.toml").open("rb") as handle:
        written = tomllib.load(handle)
    defaults = Settings()
    read = {name: getattr(defaults, name) for name in written}
    # TOML has arrays where the settings have tuples.
    assert {name: list(v) if isinstance(v, tuple) else v for name, v in read.items()} == written
