//! QR codes as inline SVG, so an invitation link can be scanned from a screen or a printout.

use qrcode::render::svg;
use qrcode::QrCode;

/// An SVG image encoding `text`; empty when it cannot be encoded (far too long).
pub(crate) fn svg(text: &str) -> String {
    match QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#1d2733"))
            .light_color(svg::Color("#ffffff"))
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_an_svg_without_script_or_style() {
        let image = super::svg("http://127.0.0.1:8000/join/abc");
        assert!(image.contains("<svg"));
        assert!(!image.contains("<script") && !image.contains("style="));
    }
}
