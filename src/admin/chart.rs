//! The dashboard's bar charts as inline SVG drawn on the server: no script is needed, and the
//! CSP (no inline style) holds because only presentation attributes and classes are used.
//! Every chart carries a `<title>` and an `aria-label`; the page shows the same numbers in a
//! table for readers who cannot see the picture.

use std::fmt::Write;

use serde::Serialize;

use crate::cards::chart::escape;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 36.0;

/// One bar: its label on the axis, its long label for the tooltip and table, its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Point {
    pub label: String,
    pub long_label: String,
    pub value: i64,
}

/// The height of the plot area, in SVG units, that the tallest bar fills.
pub const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;

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

/// The bar chart of `points` as an `<svg role="img">` named by `title` (escaped). A chart
/// whose values are all zero (or that has no points) draws no bars and says so in words.
pub fn bar_chart(title: &str, unit: &str, points: &[Point]) -> String {
    let total: i64 = points.iter().map(|p| p.value).sum();
    let name = if total == 0 {
        format!("{title}: nothing to show for this period.")
    } else {
        format!("{title}: {total} {unit} in all.")
    };
    let name = escape(&name);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{name}" preserveAspectRatio="xMidYMid meet"><title>{name}</title>"#
    );
    let baseline = TOP + PLOT_HEIGHT;
    if total == 0 {
        let _ = write!(
            svg,
            r##"<line class="chart-axis" x1="{LEFT}" y1="{baseline}" x2="{x2}" y2="{baseline}" stroke="#5c6b7a" stroke-width="1"/><text class="chart-empty" x="{cx}" y="{cy}" text-anchor="middle" font-size="16" fill="#5c6b7a">Nothing to show yet</text></svg>"##,
            x2 = WIDTH - RIGHT,
            cx = WIDTH / 2.0,
            cy = TOP + PLOT_HEIGHT / 2.0,
        );
        return svg;
    }
    let max = points.iter().map(|p| p.value).max().unwrap_or(0);
    let (top, step) = scale(max);
    let y_of = |value: i64| baseline - PLOT_HEIGHT * value as f64 / top as f64;
    let mut value = 0;
    while value <= top {
        let y = y_of(value);
        let _ = write!(
            svg,
            r##"<line class="chart-grid" x1="{LEFT}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#d9e0e7" stroke-width="1"/><text class="chart-tick" x="{tx}" y="{ty:.1}" text-anchor="end" font-size="13" fill="#5c6b7a">{value}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = y + 4.0,
        );
        value += step;
    }
    let slot = (WIDTH - LEFT - RIGHT) / points.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = points.len().div_ceil(6).max(1);
    for (i, point) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        if point.value > 0 {
            let y = y_of(point.value);
            let tip = escape(&format!("{}: {} {unit}", point.long_label, point.value));
            let _ = write!(
                svg,
                r##"<rect class="chart-bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="#1f5f8b"><title>{tip}</title></rect>"##,
                h = baseline - y,
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text class="chart-tick" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="13" fill="#5c6b7a">{text}</text>"##,
                cx = x + bar / 2.0,
                ty = baseline + 20.0,
                text = escape(&point.label),
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line class="chart-axis" x1="{LEFT}" y1="{baseline}" x2="{x2}" y2="{baseline}" stroke="#5c6b7a" stroke-width="1"/></svg>"##,
        x2 = WIDTH - RIGHT,
    );
    svg
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
        assert!(h[2] <= PLOT_HEIGHT + 0.01, "the tallest bar stays inside the plot");
        assert!(h[2] >= PLOT_HEIGHT * 0.5, "and uses the room it has: {h:?}");
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
