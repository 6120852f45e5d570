"""A user's mistakes in settings or partitions: one clear error naming what to fix."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from anchor_assets.assets import all_assets
from anchor_assets.partitions import episode_partitions
from anchor_assets.resources.anchor_api import AnchorApi
from anchor_assets.resources.errors import AnchorSettingError
from anchor_assets.sandbox import SANDBOX_COOKIE
from anchor_assets.settings import DEFAULT_START_DATE, check_credentials, load_settings
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager

GOOD = {"ANCHOR_WEBSTATION_ID": "5a1d0c4f", "ANCHOR_PW_S": "a-cookie"}
TOMORROW = (date.today() + timedelta(days=2)).isoformat()
TODAY = datetime.now(timezone.utc).date().isoformat()


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"ANCHOR_START_DATE": "last spring"}, "ANCHOR_START_DATE='last spring' is not a date"),
        ({"ANCHOR_START_DATE": "2024-02-30"}, "ANCHOR_START_DATE='2024-02-30' is not a date"),
        ({"ANCHOR_START_DATE": TOMORROW}, f"ANCHOR_START_DATE={TOMORROW} lies after the last"),
        ({"ANCHOR_START_DATE": TODAY}, f"ANCHOR_START_DATE={TODAY} lies after the last complete"),
        ({"ANCHOR_START_DATE": "0224-01-01"}, "ANCHOR_START_DATE=0224-01-01 is before 2015"),
        ({"ANCHOR_DUCKDB_PATH": "/"}, "ANCHOR_DUCKDB_PATH=/ is a folder"),
        ({"ANCHOR_DUCKDB_PATH": "/etc/hostname/warehouse.duckdb"}, "cannot be written"),
        ({"ANCHOR_BASE_URL": "podcasters.spotify.com"}, "ANCHOR_BASE_URL"),
        ({"ANCHOR_BASE_URL": "https://me:s3cret@x.test/v3"}, "carries a user name or password"),
    ],
)
def test_bad_settings_are_named(environ, message):
    with pytest.raises(AnchorSettingError, match=message.replace("(", r"\(")) as raised:
        load_settings(environ)
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"ANCHOR_PW_S": "a-cookie"}, "ANCHOR_WEBSTATION_ID is not set"),
        ({**GOOD, "ANCHOR_PW_S": "  "}, "ANCHOR_PW_S is not set"),
        ({**GOOD, "ANCHOR_WEBSTATION_ID": "my-show"}, "ANCHOR_WEBSTATION_ID"),
        ({**GOOD, "ANCHOR_PW_S": "a cookie; with spaces"}, "ANCHOR_PW_S"),
        ({**GOOD, "ANCHOR_PW_S": "anchorpw_s=a-cookie"}, "ANCHOR_PW_S to the value only"),
        # Refused at load, not left to fail every run with an encoding error quoting a letter.
        ({**GOOD, "ANCHOR_PW_S": "a-cookie-\u00e9\u2603"}, "non-ASCII letters"),
    ],
)
def test_missing_or_malformed_show_settings_are_named(environ, message):
    with pytest.raises(AnchorSettingError, match=message) as raised:
        check_credentials(environ)
    for cookie_part in ("a cookie; with spaces", "\u00e9", "\u2603"):
        assert cookie_part not in str(raised.value)


def test_a_cookie_of_every_character_a_cookie_value_may_hold_is_taken():
    cookie = "Zk9q.<&>=%20!#$~'()*+-/:?@[]^_`{|}"
    check_credentials({**GOOD, "ANCHOR_PW_S": cookie})


def test_defaults_when_nothing_is_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})

    assert settings.start_date == DEFAULT_START_DATE
    assert settings.duckdb_path == os.path.join("data", "warehouse.duckdb")
    assert settings.base_url == "https://podcasters.spotify.com/pod/api/proxy/v3"


@pytest.mark.parametrize(
    "setting, last_line",
    [
        (
            {"ANCHOR_START_DATE": "2024/01/01"},
            (
                "anchor_assets.settings.SettingError: ANCHOR_START_DATE='2024/01/01' is not a"
                " date: write the first day to keep as YYYY-MM-DD, for example 2024-01-01."
            ),
        ),
        (
            {"ANCHOR_PARALLEL_REQUESTS": "0"},
            (
                "anchor_assets.settings.SettingError: ANCHOR_PARALLEL_REQUESTS='0' is not a whole"
                " number from 1 to 10: set how many API requests may be in flight at once (1"
                " asks one thing at a time), or unset it for 8."
            ),
        ),
    ],
)
def test_the_code_location_refuses_to_load_with_one_clear_line(tmp_path, setting, last_line):
    environ = {**os.environ, **GOOD, **setting}
    loaded = subprocess.run(
        [sys.executable, "-c", "import anchor_assets.definitions"],
        env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert loaded.returncode != 0
    assert loaded.stderr.strip().splitlines()[-1] == last_line


def sandbox_resources(sandbox, warehouse) -> dict:
    return {
        "anchor_api": AnchorApi(
            base_url=sandbox.base_url, webstation_id=sandbox.show.webstation_id,
            anchorpw_s=SANDBOX_COOKIE,
        ),
        "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
    }  # fmt: skip


def test_an_episode_partition_missing_from_the_list_fails_clearly(sandbox, tmp_path):
    resources = sandbox_resources(sandbox, tmp_path / "w.duckdb")
    with DagsterInstance.ephemeral() as instance:
        materialize(all_assets, selection=[AssetKey(["anchor", "episodes"])],
                    instance=instance, resources=resources)  # fmt: skip
        instance.add_dynamic_partitions(episode_partitions.name, ["12345"])

        result = materialize(
            all_assets, selection=[AssetKey(["anchor", "episode_plays"])], partition_key="12345",
            instance=instance, resources=resources, raise_on_error=False,
        )  # fmt: skip

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "episode ids [12345] are not in the stored episode list" in error
    assert sandbox.request_count("/analytics/episode/12345") == 0


def test_episode_assets_before_any_episode_list_is_stored_say_what_to_do(sandbox, tmp_path):
    resources = sandbox_resources(sandbox, tmp_path / "new.duckdb")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(episode_partitions.name, ["12345"])
        result = materialize(
            all_assets, selection=[AssetKey(["anchor", "episode_plays"])], partition_key="12345",
            instance=instance, resources=resources, raise_on_error=False,
        )  # fmt: skip

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "the table anchor.episodes is not in the warehouse" in error
    assert "materialize anchor/episodes first" in error
