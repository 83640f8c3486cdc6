//! The minutes-per-week chart as an inline SVG drawn on the server: it needs no script, and
//! the CSP (no inline style) holds because it uses only presentation attributes and classes.

use std::fmt::Write;

use super::stats::WeekMinutes;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 56.0;

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn day(week: &WeekMinutes) -> String {
    week.week_start.format("%-d %b").to_string()
}

fn long_day(week: &WeekMinutes) -> String {
    week.week_start.format("%-d %b %Y").to_string()
}

/// A top for the minutes axis that is a round number, with the step between grid lines.
fn scale(max: i64) -> (i64, i64) {
    let step = [15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3000, 6000]
        .into_iter()
        .find(|step| max <= step * 4)
        .unwrap_or_else(|| (max / 4 / 6000 + 1) * 6000);
    let top = ((max + step - 1) / step).max(1) * step;
    (top, step)
}

/// One sentence describing the chart, for its accessible name.
pub fn summary(weeks: &[WeekMinutes]) -> String {
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return "Minutes per week: no weeks to show.".to_string();
    };
    let total: i64 = weeks.iter().map(|w| w.minutes).sum();
    let range = format!("from the week of {} to the week of {}", long_day(first), long_day(last));
    match weeks.iter().filter(|w| w.minutes > 0).max_by_key(|w| w.minutes) {
        None => format!("Minutes per week {range}: no activity recorded."),
        Some(best) => format!(
            "Minutes per week {range}: {total} minutes in {} weeks; the busiest was the week of {} with {} minutes.",
            weeks.len(),
            long_day(best),
            best.minutes
        ),
    }
}

/// The bar chart of `weeks` as an `<svg>` element with `role="img"`, a title, an accessible
/// summary, both axes labelled and a tooltip per bar.
pub fn weekly_svg(weeks: &[WeekMinutes]) -> String {
    let label = escape(&summary(weeks));
    let max = weeks.iter().map(|w| w.minutes).max().unwrap_or(0);
    let (top, step) = scale(max);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let baseline = TOP + plot_h;
    let y_of = |minutes: i64| baseline - plot_h * minutes as f64 / top as f64;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" preserveAspectRatio="xMidYMid meet"><title>{label}</title>"#
    );
    // Grid lines with the minutes they stand for.
    let mut value = 0;
    while value <= top {
        let y = y_of(value);
        let _ = write!(
            svg,
            r##"<line class="chart-grid" x1="{LEFT}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#d9e0e7" stroke-width="1"/><text class="chart-tick" x="{tx}" y="{ty:.1}" text-anchor="end" font-size="14" fill="#5c6b7a">{value}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = y + 4.0,
        );
        value += step;
    }
    let slot = plot_w / weeks.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = weeks.len().div_ceil(6).max(1);
    for (i, week) in weeks.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        if week.minutes > 0 {
            let y = y_of(week.minutes);
            let tip = escape(&format!("Week of {}: {} minutes", long_day(week), week.minutes));
            let _ = write!(
                svg,
                r##"<rect class="chart-bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="#1f5f8b"><title>{tip}</title></rect>"##,
                h = baseline - y,
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text class="chart-tick" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="14" fill="#5c6b7a">{text}</text>"##,
                cx = x + bar / 2.0,
                ty = baseline + 20.0,
                text = escape(&day(week)),
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line class="chart-axis" x1="{LEFT}" y1="{baseline:.1}" x2="{x2}" y2="{baseline:.1}" stroke="#5c6b7a" stroke-width="1"/><text class="chart-axis-label" x="{mx:.1}" y="{by}" text-anchor="middle" font-size="15" fill="#1d2733">Week starting (Monday)</text><text class="chart-axis-label" transform="rotate(-90)" x="{my:.1}" y="16" text-anchor="middle" font-size="15" fill="#1d2733">Minutes</text></svg>"##,
        x2 = WIDTH - RIGHT,
        mx = LEFT + plot_w / 2.0,
        by = HEIGHT - 8.0,
        my = -(TOP + plot_h / 2.0),
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    fn weeks(minutes: &[i64]) -> Vec<WeekMinutes> {
        let first = NaiveDate::from_ymd_opt(2026, 7, 27).unwrap();
        minutes
            .iter()
            .enumerate()
            .map(|(i, &m)| WeekMinutes {
                week_start: first + Duration::weeks(i as i64),
                minutes: m,
            })
            .collect()
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_chart_has_a_bar_per_active_week_a_name_and_axis_labels_and_no_script_or_style() {
        let svg = weekly_svg(&weeks(&[0, 90, 30, 0, 200]));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("Week of 3 Aug 2026: 90 minutes"));
        assert!(svg.contains(">Minutes</text>") && svg.contains(">Week starting (Monday)</text>"));
        assert!(svg.contains("320 minutes in 5 weeks"), "{svg}");
        assert!(svg.contains("busiest was the week of 24 Aug 2026 with 200 minutes"));
        assert!(!svg.contains("<script") && !svg.contains("style="));
        // The tallest bar reaches a round top of 240 (step 60) and never leaves the plot.
        assert!(svg.contains(">240</text>"));
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = weekly_svg(&weeks(&[0, 0, 0]));
        assert_eq!(svg.matches("<rect").count(), 0);
        assert!(svg.contains("no activity recorded"));
        assert!(weekly_svg(&[]).contains("no weeks to show"));
    }

    #[test]
    fn the_scale_is_round_and_holds_the_largest_week() {
        assert_eq!(scale(0), (15, 15));
        assert_eq!(scale(200), (240, 60));
        assert_eq!(scale(60), (60, 15));
        let (top, step) = scale(100_000);
        assert!(top >= 100_000 && top / step <= 5, "{top} {step}");
    }
}
