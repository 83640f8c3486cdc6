//! The dashboard's bar charts (see `web::chart`). Every chart carries a `<title>` and an
//! `aria-label`; the page shows the same numbers in a table for readers who cannot see the
//! picture.

use schemars::JsonSchema;
use serde::Serialize;

use crate::web::chart::{draw, Bar, Chart, Layout};

const LAYOUT: Layout = Layout {
    width: 480.0,
    height: 220.0,
    left: 44.0,
    right: 8.0,
    top: 14.0,
    bottom: 36.0,
    font: 13,
};

/// One bar: its label on the axis, its long label for the tooltip and table, its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, JsonSchema)]
#[schemars(rename = "ChartPoint")]
pub(crate) struct Point {
    pub label: String,
    pub long_label: String,
    pub value: i64,
}

/// A round top for the value axis and the step between its grid lines (four or fewer steps).
fn scale(max: i64) -> (i64, i64) {
    let mut step = 1;
    for base in [1, 2, 5].into_iter().cycle().scan(1i64, |mag, b| {
        let s = b * *mag;
        if b == 5 {
            *mag *= 10;
        }
        Some(s)
    }) {
        step = base;
        if max <= step * 4 {
            break;
        }
    }
    let top = ((max + step - 1) / step).max(1) * step;
    (top, step)
}

/// The bar chart of `points` as an `<svg role="img">` named by `title`. A chart whose values
/// are all zero (or that has no points) draws no bars and says so in words.
pub(crate) fn bar_chart(title: &str, unit: &str, points: &[Point]) -> String {
    let total: i64 = points.iter().map(|p| p.value).sum();
    let name = if total == 0 {
        format!("{title}: nothing to show for this period.")
    } else {
        format!("{title}: {total} {unit} in all.")
    };
    let bars: Vec<Bar> = points
        .iter()
        .map(|p| Bar {
            label: p.label.clone(),
            tip: format!("{}: {} {unit}", p.long_label, p.value),
            value: p.value,
        })
        .collect();
    let max = points.iter().map(|p| p.value).max().unwrap_or(0);
    let chart = Chart {
        name: &name,
        bars: &bars,
        scale: scale(max),
        axes: None,
        empty: Some("Nothing to show yet"),
    };
    draw(&LAYOUT, &chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[i64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| Point {
                label: format!("w{i}"),
                long_label: format!("week {i}"),
                value,
            })
            .collect()
    }

    /// The heights of the bars, in drawing order.
    fn heights(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|rect| {
                let h = rect.split("height=\"").nth(1).unwrap();
                h[..h.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bar_heights_are_proportional_to_the_values() {
        let svg = bar_chart("Bookings", "bookings", &points(&[4, 0, 2, 8]));
        let h = heights(&svg);
        assert_eq!(h.len(), 3, "a zero draws no bar: {svg}");
        assert!((h[0] / h[2] - 0.5).abs() < 0.01, "4 is half of 8: {h:?}");
        assert!((h[1] / h[2] - 0.25).abs() < 0.01, "2 is a quarter of 8: {h:?}");
        assert!(h[2] <= LAYOUT.plot_height() + 0.01, "the tallest bar stays inside the plot");
        assert!(h[2] >= LAYOUT.plot_height() * 0.5, "and uses the room it has: {h:?}");
    }

    #[test]
    fn the_chart_is_named_for_screen_readers() {
        let svg = bar_chart("Bookings per week", "bookings", &points(&[1, 2]));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="Bookings per week: 3 bookings in all.""#));
        assert!(svg.contains("<title>Bookings per week: 3 bookings in all.</title>"));
        assert!(svg.contains("<title>week 1: 2 bookings</title>"), "each bar has a tooltip");
    }

    #[test]
    fn zero_data_renders_an_empty_state() {
        for data in [points(&[0, 0, 0]), Vec::new()] {
            let svg = bar_chart("New members", "members", &data);
            assert!(heights(&svg).is_empty(), "no bars: {svg}");
            assert!(svg.contains("Nothing to show yet"));
            assert!(svg.contains("New members: nothing to show for this period."));
        }
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let mut data = points(&[3]);
        data[0].label = "<b>&\"".into();
        data[0].long_label = "<script>".into();
        let svg = bar_chart("A <title> & \"quote\"", "x", &data);
        assert!(!svg.contains("<b>") && !svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;b&gt;&amp;&quot;"));
        assert!(svg.contains("&lt;script&gt;: 3 x"));
        assert!(svg.contains("A &lt;title&gt; &amp; &quot;quote&quot;"));
    }

    #[test]
    fn the_value_axis_ends_on_a_round_number() {
        assert_eq!(scale(1), (1, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(8), (8, 2));
        assert_eq!(scale(9), (10, 5));
        assert_eq!(scale(43), (60, 20));
        assert_eq!(scale(430), (600, 200));
    }
}
