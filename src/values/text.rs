//! Free text a person types over several lines: notes, messages.

/// What a person reads when their text holds a control character other than a line break or
/// a tab.
pub(crate) const CONTROL_CHARACTERS: &str =
    "Remove the control characters (line breaks and tabs are fine).";

/// Whether `text` holds no control characters but line breaks and tabs. Anything else (an
/// escape sequence, a bell) would reach a terminal, an export or a calendar app as it was
/// typed.
pub(crate) fn is_plain(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::is_plain;

    #[test]
    fn line_breaks_and_tabs_are_plain_text_and_other_control_characters_are_not() {
        assert!(is_plain("line one\r\nline two\tindented, café"));
        assert!(!is_plain("red\u{1b}[31m"));
        assert!(!is_plain("bell\u{7}"));
        assert!(!is_plain("nul\u{0}"));
        assert!(!is_plain("c1\u{9b}"));
    }
}
