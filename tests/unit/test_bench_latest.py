"""bench/latest.py: latest.json from the newest result of each benchmark, and the README's table from latest.json."""
from __future__ import annotations

import json

import pytest

from bench import latest


def intake_result(rate: float, ratio: float) -> dict:
    side = {"tickets_per_s": rate, "p50_ms": 12.0, "p95_ms": 30.0, "errors": 0, "relay_drained_after_s": 0.2,
            "ratio_to_ceiling": ratio}
    return {"levels": [{"clients": 10, "insert_ceiling_per_s": 1500.0,
                        "sides": {"this checkout (abc)": side, "before (def)": {**side, "tickets_per_s": 1.0}}}]}


def test_intake_figures_take_this_checkout_and_judge_both_targets():
    rate, p95, ratio = latest.intake_figures(intake_result(1200.0, 0.2), "intake-x.json")
    assert (rate.value, rate.met, rate.target) == (1200.0, True, "≥ 1000")
    assert (p95.value, p95.met, p95.note) == (30.0, None, "p50 12.0 ms")
    assert (ratio.value, ratio.met) == (0.2, False)
    assert {f.source for f in (rate, p95, ratio)} == {"intake-x.json"}


def test_intake_files_written_before_the_levels_still_read():
    old = {"clients": 16, "insert_ceiling_per_s": 1147.4,
           "sides": {"this checkout (5c3)": {"tickets_per_s": 28.1, "p50_ms": 511.6, "p95_ms": 1084.3,
                                              "ratio_to_ceiling": 0.024}}}
    figures = list(latest.intake_figures(old, "intake-old.json"))
    assert figures[0].value == 28.1 and figures[0].met is False and "16 Open311 clients" in figures[0].figure


def test_the_newest_file_of_each_kind_is_read_and_a_broken_one_is_named(tmp_path):
    (tmp_path / "intake-20261201T000000Z.json").write_text(json.dumps(intake_result(10.0, 0.01)))
    (tmp_path / "intake-20261205T000000Z.json").write_text(json.dumps(intake_result(2000.0, 0.5)))
    (tmp_path / "locate-20261205T000000Z.json").write_text(json.dumps({"points": 20000}))     # no rate in it
    figures = latest.collect(tmp_path)
    rate = next(f for f in figures if f.unit == "tickets/s")
    assert (rate.value, rate.source) == (2000.0, "intake-20261205T000000Z.json")
    broken = next(f for f in figures if f.source == "locate-20261205T000000Z.json")
    assert broken.value is None and "unreadable" in broken.figure and "KeyError" in broken.note
    assert [f for f in figures if not f.source] == list(latest.NOT_MEASURED)


def test_the_table_marks_missed_targets_and_unmeasured_rows():
    figures = list(latest.intake_figures(intake_result(900.0, 0.4), "intake-x.json")) + list(latest.NOT_MEASURED)
    data = latest.latest(figures, "abc1234", latest.datetime(2026, 12, 6, tzinfo=latest.timezone.utc))
    rendered = latest.table(data)
    rows = [line for line in rendered.splitlines() if line.startswith("| intake")]
    assert "| 900 | tickets/s | ≥ 1000 | **missed** |" in rows[0]
    assert "| 0.4 | × ceiling | ≥ 0.3 | met |" in rows[2]
    assert rendered.count("not measured") == len(latest.NOT_MEASURED)
    assert "commit abc1234" in rendered


def test_the_readme_section_is_replaced_between_its_markers_only():
    readme = f"# x\nbefore\n{latest.TABLE_START}\nold table\n{latest.TABLE_END}\nafter\n"
    updated = latest.readme_with(readme, "| new |\n")
    assert updated == f"# x\nbefore\n{latest.TABLE_START}\n| new |\n{latest.TABLE_END}\nafter\n"
    assert latest.readme_table(updated) == "| new |\n"
    with pytest.raises(ValueError, match="no"):
        latest.readme_with("# no markers\n", "| new |\n")


def test_the_readme_shows_what_latest_json_says():
    """The README's performance table is made from bench/results/latest.json (python -m bench latest), not typed."""
    data = json.loads(latest.LATEST.read_text())
    assert latest.readme_table(latest.README.read_text()) == latest.table(data)
    assert all(f["source"] or f["value"] is None for f in data["figures"])


def test_the_cell_panel_figure_is_the_callbacks_p95_against_150_ms():
    result = {"open_tickets": 10250, "callback": {"p50_ms": 40.0, "p95_ms": 160.0},
              "service": {"p95_ms": 20.0}}
    [figure] = latest.cell_panel_figures(result, "cell-panel-x.json")
    assert (figure.value, figure.met, figure.target) == (160.0, False, "≤ 150")
    assert "10,250 open tickets" in figure.figure and "reads alone p95 20.0 ms" in figure.note


def test_live_bytes_give_each_levels_update_against_2_kb_and_what_a_map_downloads():
    row = {"open_tickets": 100_012, "update_bytes_max": 2100, "update_bytes_median": 320,
           "snapshot": {"gzip": {"bytes": 5_000_000, "ms": 900.0}}, "snapshot_tickets": 50_000,
           "reconnect_missed": 50, "reconnect_bytes": 9000}
    update, snap, reconnect = latest.live_bytes_figures({"rows": [row]}, "live-bytes-x.json")
    assert (update.value, update.met, update.target) == (2100, False, "≤ 2048") and "100,012 open" in update.figure
    assert snap.value == 5_000_000 and "50,000 tickets in it" in snap.note
    assert reconnect.value == 9000 and "50 missed" in reconnect.figure


def test_a_wall_paint_below_the_targets_load_is_not_called_met():
    result = {"rounds": [], "open_tickets_before": 2074, "wall_first_paint_ms": [{"done": 3000}, {"done": 3500}]}
    [paint] = latest.live_figures(result, "live-x.json")
    assert paint.value == 3.5 and paint.met is None and "not yet at the target's load" in paint.note
    [paint] = latest.live_figures({**result, "open_tickets_before": 10_200}, "live-x.json")
    assert paint.met is True
