"""The line charts kept in materialization metadata: well-formed SVG, embedded in markdown."""

import base64
import re
import xml.etree.ElementTree as ElementTree

import pandas as pd

from anchor_assets.plots import MAX_LINES, plot_metadata

SVG = "{http://www.w3.org/2000/svg}"


def drawn(metadata: dict) -> ElementTree.Element:
    """The SVG inside the markdown of a plot's metadata, parsed."""
    match = re.fullmatch(r"!\[[^\]]*\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)",
                         metadata["plot"].value)  # fmt: skip
    assert match, "the plot is a markdown image with an SVG data URL"
    return ElementTree.fromstring(base64.b64decode(match.group(1)))


def test_a_daily_series_is_one_line_through_every_day():
    frame = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=30), "plays": range(30)})

    svg = drawn(plot_metadata(frame, "date", "plays", "Plays & more <per> day"))

    (line,) = svg.iter(f"{SVG}polyline")
    assert len(line.get("points").split()) == 30
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Plays & more <per> day" in texts
    assert {"2026-01-01", "2026-01-30"} <= set(texts)


def test_rows_sharing_an_x_are_added_up_without_a_series():
    frame = pd.DataFrame({"second": [0, 0, 1, 1], "listeners": [3, 4, 2, 1]})

    svg = drawn(plot_metadata(frame, "second", "listeners", "Listeners"))

    (line,) = svg.iter(f"{SVG}polyline")
    assert len(line.get("points").split()) == 2


def test_a_series_draws_a_line_each_up_to_a_limit_with_a_legend():
    frame = pd.DataFrame(
        [{"episode_id": episode, "second": s, "listeners": episode * 10 - s}
         for episode in range(1, 12) for s in range(5)]
    )  # fmt: skip

    svg = drawn(plot_metadata(frame, "second", "listeners", "Listeners", series="episode_id"))

    assert len(list(svg.iter(f"{SVG}polyline"))) == MAX_LINES
    legend = {text.text for text in svg.iter(f"{SVG}text")}
    assert "11" in legend and "1" not in legend, "the lines with the most are kept"


def test_long_series_are_thinned_to_keep_the_metadata_small():
    frame = pd.DataFrame({"second": range(20_000), "listeners": range(20_000, 0, -1)})

    metadata = plot_metadata(frame, "second", "listeners", "Listeners")

    assert len(metadata["plot"].value) < 15_000
    (line,) = drawn(metadata).iter(f"{SVG}polyline")
    assert line.get("points").split()[-1].startswith("700,"), "the last point is kept"


def test_a_single_reading_is_a_dot_and_no_rows_give_no_plot():
    one = pd.DataFrame({"date": pd.to_datetime(["2026-03-01"]), "total_plays": [120]})

    assert (
        len(list(drawn(plot_metadata(one, "date", "total_plays", "Plays")).iter(f"{SVG}circle")))
        == 1
    )
    assert plot_metadata(one.iloc[:0], "date", "total_plays", "Plays") == {}
