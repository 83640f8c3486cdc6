//! Authenticator apps (TOTP, RFC 6238): 6 digits, 30-second steps and SHA-1, which every app
//! understands; one step of clock drift is accepted either way, and a code works once.

use totp_rs::{Algorithm, TOTP};

use crate::crypto::constant_time_eq;

/// Seconds per code.
pub(crate) const STEP_SECS: u64 = 30;
const DIGITS: usize = 6;
/// 160 bits, the size RFC 4226 recommends for HMAC-SHA-1.
pub(crate) const SECRET_BYTES: usize = 20;

fn generator(algorithm: Algorithm, digits: usize, secret: &[u8], label: Label<'_>) -> TOTP {
    // Issuer and account name only matter for the enrolment link; a colon would split the
    // label of that link in the wrong place.
    let clean = |s: &str| s.replace(':', " ").trim().to_string();
    let issuer = (!label.issuer.is_empty()).then(|| clean(label.issuer));
    TOTP::new_unchecked(
        algorithm,
        digits,
        1,
        STEP_SECS,
        secret.to_vec(),
        issuer,
        clean(label.account),
    )
}

/// Who a secret belongs to, as the app will show it.
#[derive(Clone, Copy)]
pub(crate) struct Label<'a> {
    pub issuer: &'a str,
    pub account: &'a str,
}

const NO_LABEL: Label<'static> = Label { issuer: "", account: "" };

/// The `otpauth://` link an app reads from the QR code.
pub(crate) fn enrolment_url(secret: &[u8], label: Label<'_>) -> String {
    generator(Algorithm::SHA1, DIGITS, secret, label).get_url()
}

/// The secret as people type it into an app that cannot scan (base32, in groups of four).
pub(crate) fn typed_secret(secret: &[u8]) -> String {
    let plain = generator(Algorithm::SHA1, DIGITS, secret, NO_LABEL).get_secret_base32();
    plain
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The code of time step `step`.
pub(crate) fn code_at(secret: &[u8], step: u64) -> String {
    generator(Algorithm::SHA1, DIGITS, secret, NO_LABEL).generate(step * STEP_SECS)
}

/// The time step a typed code belongs to, among the one of `now` and its two neighbours; None
/// for a code of none of them or something that is not six digits. Spaces are ignored.
pub(crate) fn matching_step(secret: &[u8], typed: &str, now_unix: i64) -> Option<u64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS || !typed.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let current = u64::try_from(now_unix).ok()? / STEP_SECS;
    // Every neighbour is compared, so the time taken does not tell which one matched.
    let mut found = None;
    for step in [current.saturating_sub(1), current, current + 1] {
        if constant_time_eq(&code_at(secret, step), &typed) {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the seeds (20, 32 and 64 bytes of "1234567890" repeated) and the
    /// 8-digit codes for SHA-1, SHA-256 and SHA-512 at six moments.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let seed = |n: usize| b"1234567890".iter().copied().cycle().take(n).collect::<Vec<u8>>();
        let vectors: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, sha1, sha256, sha512) in vectors {
            let at = |algorithm, secret: Vec<u8>| {
                generator(algorithm, 8, &secret, NO_LABEL).generate(time)
            };
            assert_eq!(at(Algorithm::SHA1, seed(20)), sha1, "SHA-1 at {time}");
            assert_eq!(at(Algorithm::SHA256, seed(32)), sha256, "SHA-256 at {time}");
            assert_eq!(at(Algorithm::SHA512, seed(64)), sha512, "SHA-512 at {time}");
        }
        // The six-digit codes the apps show are the last six digits of the same values.
        assert_eq!(code_at(&seed(20), 59 / STEP_SECS), "287082");
    }

    #[test]
    fn a_code_is_accepted_one_step_early_or_late_and_no_further() {
        let secret = vec![7u8; SECRET_BYTES];
        let now = 1_800_000_015_i64;
        let step = now as u64 / STEP_SECS;
        assert_eq!(matching_step(&secret, &code_at(&secret, step), now), Some(step));
        assert_eq!(matching_step(&secret, &code_at(&secret, step - 1), now), Some(step - 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, step + 1), now), Some(step + 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, step - 2), now), None);
        assert_eq!(matching_step(&secret, &code_at(&secret, step + 2), now), None);
        let spaced = code_at(&secret, step);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(matching_step(&secret, &spaced, now), Some(step));
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_enrolment_link_names_the_club_and_the_member() {
        let url = enrolment_url(&[1u8; 20], Label { issuer: "Ice: Club", account: "ann" });
        assert!(url.starts_with("otpauth://totp/Ice%20%20Club:ann?secret="), "{url}");
        assert!(url.contains("issuer=Ice%20%20Club"), "{url}");
        assert_eq!(typed_secret(&[0u8; 20]).replace(' ', "").len(), 32);
    }
}
