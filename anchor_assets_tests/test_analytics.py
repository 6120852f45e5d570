"""The analytics tables, each computed from a small crafted warehouse and compared with values
worked out by hand."""

from datetime import date, datetime, timedelta

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from anchor_assets.analytics import analytics_assets
from anchor_assets.storage.io_manager import AnchorDuckDBIOManager
from anchor_assets.warehouse import Warehouse
from anchor_assets_tests.checks_support import store

DAY_1, DAY_2, DAY_3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def warehouse(tmp_path):
    return tmp_path / "warehouse.duckdb"


def build(warehouse, name: str, raise_on_error: bool = True):
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            analytics_assets,
            selection=[AssetKey(["anchor", name])],
            instance=instance,
            resources={
                "io_manager": AnchorDuckDBIOManager(database=str(warehouse), schema="anchor"),
                "warehouse": Warehouse(database=str(warehouse), schema="anchor"),
            },
            raise_on_error=raise_on_error,
        )


def rows(warehouse, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_episode_summary(warehouse):
    first_out = datetime(2026, 1, 1, 10, 0)
    store(warehouse, {
        "episodes": [
            {"episode_id": 1, "title": "One", "published_at": first_out, "duration_seconds": 600.0,
             "total_plays": 5000},
            {"episode_id": 2, "title": "Two", "published_at": datetime(2026, 3, 1, 23, 30),
             "duration_seconds": 1200.0, "total_plays": 40},
            {"episode_id": 3, "title": None, "published_at": None, "duration_seconds": 300.0,
             "total_plays": 0},
        ],
        # One: 100 days stored, day n has n plays. Two: 10 days of 3 plays from its publish day.
        "episode_plays": [
            {"episode_id": 1, "date": date(2026, 1, 1) + timedelta(days=n - 1), "plays": n}
            for n in range(1, 101)
        ] + [
            {"episode_id": 2, "date": date(2026, 3, 1) + timedelta(days=n), "plays": 3}
            for n in range(10)
        ],
        "episode_aggregated_performance": [
            {"episode_id": 1, "percentile_25": 80.0, "percentile_50": 60.0, "percentile_75": 40.0,
             "percentile_100": 20.0, "average_listen_seconds": 300.0},
        ],
    })  # fmt: skip

    build(warehouse, "episode_summary")

    assert rows(warehouse, "select * from anchor.episode_summary order by episode_id") == [
        # 1; 1+..+7 = 28; 1+..+30 = 465; 1+..+90 = 4095; 300 s of 600 heard on average.
        (1, "One", date(2026, 1, 1), 600.0, 1, 28, 465, 4095, 5000, 80.0, 60.0, 40.0, 20.0,
         300.0, 0.5),
        # 10 days stored: 3 on day 1, 21 in 7 days; 30 and 90 days not reached; no performance.
        (2, "Two", date(2026, 3, 1), 1200.0, 3, 21, None, None, 40, None, None, None, None,
         None, None),
        (3, None, None, 300.0, None, None, None, None, 0, None, None, None, None, None, None),
    ]  # fmt: skip


def test_listen_through(warehouse):
    def curve(episode_id, listeners):
        return [
            {"episode_id": episode_id, "second": second, "listeners": count}
            for second, count in enumerate(listeners)
        ]

    store(warehouse, {
        "episodes": [
            {"episode_id": 1, "title": "Ten seconds", "duration_seconds": 10.0},
            # Its curve stops at second 2: later positions take the last point.
            {"episode_id": 2, "title": "Four seconds", "duration_seconds": 4.0},
        ],
        # Episode 3 is not in the list: the curve's own length (4 s) stands in.
        "episode_performance": curve(1, [20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 1])
        + curve(2, [10, 5, 4]) + curve(3, [8, 8, 4, 2]),
    })  # fmt: skip

    build(warehouse, "listen_through")

    stored = {
        (episode_id, percent): (second, listeners, share)
        for episode_id, percent, second, listeners, share in rows(
            warehouse, "select * from anchor.listen_through"
        )
    }
    assert len(stored) == 3 * 101
    assert stored[(1, 0)] == (0, 20, 1.0)
    assert stored[(1, 25)] == (2, 16, 0.8)  # 25% of 10 s: second 2
    assert stored[(1, 50)] == (5, 10, 0.5)
    assert stored[(1, 99)] == (9, 2, 0.1)  # 9.9 s: second 9
    assert stored[(1, 100)] == (10, 1, 0.05)
    assert stored[(2, 30)] == (1, 5, 0.5)  # 1.2 s: second 1
    assert stored[(2, 100)] == (4, 4, 0.4)  # past the curve: its last point, second 2
    assert stored[(3, 50)] == (2, 4, 0.5)
    assert stored[(3, 100)] == (4, 2, 0.25)


@pytest.mark.parametrize("label", ["app", "device"])
def test_daily_plays_by_app_and_device(warehouse, label):
    def share(day, name, value):
        return {"date": day, label: name, "share": value}

    store(warehouse, {
        "plays": [{"date": DAY_1, "plays": 10}, {"date": DAY_2, "plays": 20}],
        # DAY_3 has shares but its plays are not stored: left out.
        f"plays_by_{label}": [share(DAY_1, "A", 0.6), share(DAY_1, "B", 0.3),
                              share(DAY_2, "A", 0.5), share(DAY_2, "C", 0.45),
                              share(DAY_3, "A", 1.0)],
    })  # fmt: skip

    build(warehouse, f"daily_plays_by_{label}")

    stored = rows(warehouse, f"select * from anchor.daily_plays_by_{label} order by date, {label}")
    assert stored == [
        (DAY_1, "A", 0.6, 10, pytest.approx(6.0)),
        (DAY_1, "B", 0.3, 10, pytest.approx(3.0)),
        (DAY_2, "A", 0.5, 20, pytest.approx(10.0)),
        (DAY_2, "C", 0.45, 20, pytest.approx(9.0)),
    ]


def test_audience_trend(warehouse):
    store(warehouse, {
        "total_plays": [{"snapshot_date": DAY_1, "plays": 100},
                        {"snapshot_date": DAY_2, "plays": 130}],
        "unique_listeners": [{"snapshot_date": DAY_1, "listeners": 40},
                             {"snapshot_date": DAY_3, "listeners": 50}],
        "audience_size": [{"snapshot_date": DAY_2, "audience_size": 70}],
    })  # fmt: skip

    result = build(warehouse, "audience_trend")

    assert rows(warehouse, "select * from anchor.audience_trend order by date") == [
        (DAY_1, 100, 40, None),
        (DAY_2, 130, None, 70),
        (DAY_3, None, 50, None),
    ]
    (materialization,) = result.get_asset_materialization_events()
    assert "data:image/svg+xml;base64," in materialization.materialization.metadata["plot"].value


def test_a_missing_source_table_fails_naming_what_to_materialize(warehouse):
    store(warehouse, {"plays": [{"date": DAY_1, "plays": 10}]})

    result = build(warehouse, "daily_plays_by_app", raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "materialize anchor/plays_by_app first" in error
