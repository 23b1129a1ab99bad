"""The overview's bar geometry: scaled to the peak, exact positions, nothing for no data."""

from tradewind.web.charts import Bar, bar_chart


def test_bars_scale_to_the_largest_value() -> None:
    chart = bar_chart("Orders", [("Mon", 2), ("Tue", 0), ("Wed", 4)], str)
    assert chart.peak_text == "4"
    assert chart.baseline == 142
    assert chart.bars == (
        Bar(x=2.0, y=73.0, width=196.0, height=69.0, label="Mon", text="2"),
        Bar(x=202.0, y=142.0, width=196.0, height=0.0, label="Tue", text="0"),
        Bar(x=402.0, y=4.0, width=196.0, height=138.0, label="Wed", text="4"),
    )


def test_no_sales_draws_flat_bars_and_no_points_draws_none() -> None:
    flat = bar_chart("GMV", [("Mon", 0), ("Tue", 0)], lambda v: f"{v} USD")
    assert [b.height for b in flat.bars] == [0.0, 0.0]
    assert flat.empty
    assert not bar_chart("GMV", [("Mon", 0), ("Tue", 1)], str).empty
    assert flat.peak_text == "0 USD"
    assert bar_chart("GMV", [], str).bars == ()


def test_the_highest_mark_leaves_room_for_its_name_above_it() -> None:
    chart = bar_chart("Late", [("30 days", 2)], str, marks=[("warn", 4), ("pause", 10)])
    # 160 high, 18 for the day labels, 16 above the top mark: 126 for the values 0..10.
    assert [(m.text, m.y) for m in chart.marks] == [("warn", 91.6), ("pause", 16.0)]
    assert chart.bars[0].y == 116.8
