//! The minutes-per-week chart of a member card (drawn by `web::chart`).

use super::stats::WeekMinutes;
use crate::web::chart::{draw, Bar, Chart, Layout};

const LAYOUT: Layout = Layout {
    width: 480.0,
    height: 260.0,
    left: 52.0,
    right: 12.0,
    top: 16.0,
    bottom: 56.0,
    font: 14,
};

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
pub(crate) fn summary(weeks: &[WeekMinutes]) -> String {
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
pub(crate) fn weekly_svg(weeks: &[WeekMinutes]) -> String {
    let bars: Vec<Bar> = weeks
        .iter()
        .map(|w| Bar {
            label: day(w),
            tip: format!("Week of {}: {} minutes", long_day(w), w.minutes),
            value: w.minutes,
        })
        .collect();
    let max = weeks.iter().map(|w| w.minutes).max().unwrap_or(0);
    let chart = Chart {
        name: &summary(weeks),
        bars: &bars,
        scale: scale(max),
        axes: Some(("Week starting (Monday)", "Minutes")),
        empty: None,
    };
    draw(&LAYOUT, &chart)
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
