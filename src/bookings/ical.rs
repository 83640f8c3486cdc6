//! Writing iCalendar (RFC 5545) text: content lines end in CRLF, are folded at 75 octets, and
//! TEXT values are escaped. Phone calendars are strict about all three.

use crate::clock::from_unix;

/// One event of a feed.
#[derive(Debug, Clone)]
pub struct Event {
    pub uid: String,
    /// When this version of the event was last changed.
    pub stamp: i64,
    pub start: i64,
    pub end: i64,
    pub summary: String,
    pub description: String,
    /// `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
    pub status: &'static str,
}

/// A whole calendar.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// Shown by most clients as the calendar's name.
    pub name: String,
    pub events: Vec<Event>,
}

/// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks.
pub(crate) fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other control characters are not allowed in TEXT.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line (RFC 5545 3.1): no physical line longer than 75 octets, continued
/// lines start with a space, and a UTF-8 character is never split.
pub(crate) fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            // The leading space counts towards the continued line's octets.
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

/// A UTC time as iCalendar writes it: `20260110T173000Z`.
pub(crate) fn utc_stamp(secs: i64) -> String {
    from_unix(secs).format("%Y%m%dT%H%M%SZ").to_string()
}

impl Calendar {
    /// The calendar as iCalendar text.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |l: String| out.push_str(&fold(&l));
        line("BEGIN:VCALENDAR".into());
        line("VERSION:2.0".into());
        line("PRODID:-//Clubroom//Bookings//EN".into());
        line("CALSCALE:GREGORIAN".into());
        line("METHOD:PUBLISH".into());
        line(format!("X-WR-CALNAME:{}", escape_text(&self.name)));
        for e in &self.events {
            line("BEGIN:VEVENT".into());
            line(format!("UID:{}", e.uid));
            line(format!("DTSTAMP:{}", utc_stamp(e.stamp)));
            line(format!("DTSTART:{}", utc_stamp(e.start)));
            line(format!("DTEND:{}", utc_stamp(e.end)));
            line(format!("SUMMARY:{}", escape_text(&e.summary)));
            if !e.description.is_empty() {
                line(format!("DESCRIPTION:{}", escape_text(&e.description)));
            }
            line(format!("STATUS:{}", e.status));
            line("END:VEVENT".into());
        }
        line("END:VCALENDAR".into());
        out
    }
}

/// The host of a base URL (`https://club.example.org:8443/x` -> `club.example.org`), for
/// event UIDs that stay the same as long as the address does.
pub(crate) fn host_of(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority.split_once(']').map_or(authority.to_string(), |(h, _)| format!("{h}]"))
    } else {
        authority.split(':').next().unwrap_or_default().to_string()
    };
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape_text("a;b,c\\d\ne\r\nf"), "a\\;b\\,c\\\\d\\ne\\nf");
        assert_eq!(escape_text("bell\u{7}"), "bell");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for (i, part) in folded.trim_end_matches("\r\n").split("\r\n").enumerate() {
            assert!(part.len() <= 75, "line {i} has {} octets", part.len());
            if i > 0 {
                assert!(part.starts_with(' '));
            }
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn a_calendar_has_its_frame_and_events() {
        let cal = Calendar {
            name: "Club".into(),
            events: vec![Event {
                uid: "booking-1@x".into(),
                stamp: 0,
                start: 3600,
                end: 7200,
                summary: "Lesson".into(),
                description: String::new(),
                status: "CONFIRMED",
            }],
        };
        let text = cal.render();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(text.contains("DTSTART:19700101T010000Z\r\nDTEND:19700101T020000Z\r\n"));
        assert!(!text.contains("DESCRIPTION"));
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn the_host_comes_from_the_base_url() {
        assert_eq!(host_of("https://Club.Example.org:8443/portal"), "club.example.org");
        assert_eq!(host_of("http://127.0.0.1:8000"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:8000"), "[::1]");
        assert_eq!(host_of(""), "localhost");
    }
}
