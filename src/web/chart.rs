//! Bar charts as inline SVG drawn on the server, for the member card and the admin dashboard:
//! they need no script, and the CSP (no inline style) holds because only presentation
//! attributes and classes are used. Each chart is an `<svg role="img">` with an accessible
//! name and a tooltip per bar.

use std::fmt::Write;

/// Where a chart draws: its size and margins in SVG units, and the size of its tick labels.
pub(crate) struct Layout {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub font: u32,
}

impl Layout {
    /// The height of the plot area, which the top of the value axis fills.
    pub(crate) fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }
}

/// One bar: its label under the axis, its tooltip and its value.
pub(crate) struct Bar {
    pub label: String,
    pub tip: String,
    pub value: i64,
}

/// What one chart shows. Text is given plain; the drawing escapes it.
pub(crate) struct Chart<'a> {
    /// The accessible name (`aria-label` and `<title>`).
    pub name: &'a str,
    pub bars: &'a [Bar],
    /// The top of the value axis and the step between its grid lines.
    pub scale: (i64, i64),
    /// Labels of the horizontal and vertical axes, when the chart names them.
    pub axes: Option<(&'a str, &'a str)>,
    /// Shown instead of the grid when every value is zero; None draws the empty grid.
    pub empty: Option<&'a str>,
}

/// Escapes text for SVG (XML) content and attribute values.
pub(crate) fn escape(text: &str) -> String {
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

/// Draws `chart` in `layout`. A zero draws no bar; at most about six bars are labelled so the
/// labels never overlap.
pub(crate) fn draw(layout: &Layout, chart: &Chart<'_>) -> String {
    let Layout { width, height, left, right, top, font, .. } = *layout;
    let plot_h = layout.plot_height();
    let plot_w = width - left - right;
    let baseline = top + plot_h;
    let name = escape(chart.name);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{name}" preserveAspectRatio="xMidYMid meet"><title>{name}</title>"#
    );
    let axis = format!(
        r##"<line class="chart-axis" x1="{left}" y1="{baseline:.1}" x2="{x2}" y2="{baseline:.1}" stroke="#5c6b7a" stroke-width="1"/>"##,
        x2 = width - right,
    );
    if let (Some(empty), true) = (chart.empty, chart.bars.iter().all(|b| b.value == 0)) {
        let _ = write!(
            svg,
            r##"{axis}<text class="chart-empty" x="{cx}" y="{cy}" text-anchor="middle" font-size="16" fill="#5c6b7a">{text}</text></svg>"##,
            cx = width / 2.0,
            cy = top + plot_h / 2.0,
            text = escape(empty),
        );
        return svg;
    }
    let (axis_top, step) = (chart.scale.0.max(1), chart.scale.1.max(1));
    let y_of = |value: i64| baseline - plot_h * value as f64 / axis_top as f64;
    let mut value = 0;
    while value <= axis_top {
        let y = y_of(value);
        let _ = write!(
            svg,
            r##"<line class="chart-grid" x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#d9e0e7" stroke-width="1"/><text class="chart-tick" x="{tx}" y="{ty:.1}" text-anchor="end" font-size="{font}" fill="#5c6b7a">{value}</text>"##,
            x2 = width - right,
            tx = left - 6.0,
            ty = y + 4.0,
        );
        value += step;
    }
    let slot = plot_w / chart.bars.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = chart.bars.len().div_ceil(6).max(1);
    for (i, b) in chart.bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        if b.value > 0 {
            let y = y_of(b.value);
            let _ = write!(
                svg,
                r##"<rect class="chart-bar" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="#1f5f8b"><title>{tip}</title></rect>"##,
                h = baseline - y,
                tip = escape(&b.tip),
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text class="chart-tick" x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="{font}" fill="#5c6b7a">{text}</text>"##,
                cx = x + bar / 2.0,
                ty = baseline + 20.0,
                text = escape(&b.label),
            );
        }
    }
    svg.push_str(&axis);
    if let Some((x_label, y_label)) = chart.axes {
        let _ = write!(
            svg,
            r##"<text class="chart-axis-label" x="{mx:.1}" y="{by}" text-anchor="middle" font-size="15" fill="#1d2733">{x}</text><text class="chart-axis-label" transform="rotate(-90)" x="{my:.1}" y="16" text-anchor="middle" font-size="15" fill="#1d2733">{y}</text>"##,
            mx = left + plot_w / 2.0,
            by = height - 8.0,
            my = -(top + plot_h / 2.0),
            x = escape(x_label),
            y = escape(y_label),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
