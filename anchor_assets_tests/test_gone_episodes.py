"""with_gone_episodes: the episode list keeps episodes that left it, marked gone since the first
day they were missing."""

from datetime import date

import pandas as pd

from anchor_assets.transforms.episodes import episode_list_table, with_gone_episodes

MONDAY, FRIDAY = date(2025, 3, 3), date(2025, 3, 7)


def listing(*episodes: tuple[int, str]) -> pd.DataFrame:
    return episode_list_table([{"episodeId": i, "title": title} for i, title in episodes])


def gone_rows(frame: pd.DataFrame) -> list[tuple]:
    rows = frame[["episode_id", "title", "is_gone", "gone_since"]].itertuples(index=False)
    return [tuple(row) for row in rows]


def test_a_listed_episode_is_not_gone_and_nothing_stored_changes_nothing():
    listed = listing((1, "One"), (2, "Two"))

    assert with_gone_episodes(listed, None, MONDAY) is listed
    assert list(listed["is_gone"]) == [False, False]
    assert listed["gone_since"].isna().all()


def test_an_episode_missing_from_the_list_is_kept_as_stored_and_marked_gone_today():
    stored = listing((1, "One"), (2, "Two"))

    frame = with_gone_episodes(listing((1, "One, renamed")), stored, MONDAY)

    assert gone_rows(frame) == [
        (1, "One, renamed", False, pd.NaT),
        (2, "Two", True, pd.Timestamp(MONDAY)),
    ]


def test_gone_since_stays_the_first_day_it_was_missing():
    monday = with_gone_episodes(listing((1, "One")), listing((1, "One"), (2, "Two")), MONDAY)

    friday = with_gone_episodes(listing((1, "One")), monday, FRIDAY)

    assert gone_rows(friday)[1] == (2, "Two", True, pd.Timestamp(MONDAY))


def test_an_episode_back_on_the_list_is_no_longer_gone():
    monday = with_gone_episodes(listing((1, "One")), listing((1, "One"), (2, "Two")), MONDAY)

    friday = with_gone_episodes(listing((1, "One"), (2, "Two")), monday, FRIDAY)

    assert list(friday["is_gone"]) == [False, False]


def test_a_table_stored_before_episodes_could_leave_counts_none_as_gone():
    stored = listing((1, "One"), (2, "Two")).drop(columns=["is_gone", "gone_since"])

    frame = with_gone_episodes(listing((1, "One")), stored, MONDAY)

    assert gone_rows(frame)[1] == (2, "Two", True, pd.Timestamp(MONDAY))
