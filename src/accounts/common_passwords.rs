//! Passwords too common to allow, whatever their length: well-known long passwords, and common
//! words, names and keyboard runs padded with the digits and years people add to reach a length
//! rule. Built once, in memory, from the lists below.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Long passwords that top every leaked-password list.
const KNOWN: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789012345",
    "1234567890qwerty",
    "123123123123",
    "111111111111",
    "000000000000",
    "121212121212",
    "123412341234",
    "098765432109",
    "987654321098",
    "qwertyuiop12",
    "qwertyuiopas",
    "qwertyuiopasdf",
    "qwertyuiopasdfgh",
    "qwertyuiopasdfghjkl",
    "asdfghjklqwe",
    "zxcvbnmasdfg",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "q1w2e3r4t5y6",
    "qazwsxedcrfv",
    "zaq12wsxcde3",
    "zaq1zaq1zaq1",
    "passwordpassword",
    "iloveyouiloveyou",
    "trustno1trustno1",
    "abcdefghijkl",
    "abcdefghijklmnop",
    "abcdefghijklmnopqrstuvwxyz",
    "abc123abc123",
    "abcd1234abcd1234",
    "aaaaaaaaaaaa",
    "correcthorsebatterystaple",
    "correct horse battery staple",
    "thequickbrownfox",
    "thequickbrownfoxjumpsoverthelazydog",
    "letmeinletmein",
    "welcomewelcome",
    "administrator",
    "administrator1",
    "changemenow!",
    "changeme1234",
    "password1234",
    "password12345",
    "password123456",
    "password1234567",
    "password123!",
    "password2024",
    "password2025",
    "password2026",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
];

/// Common bases (words, names, clubs, keyboard runs) ...
const BASES: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "iloveyou",
    "letmein",
    "welcome",
    "admin",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "basketball",
    "soccer",
    "hockey",
    "skating",
    "sunshine",
    "princess",
    "shadow",
    "master",
    "superman",
    "batman",
    "trustno1",
    "michael",
    "jennifer",
    "jessica",
    "charlie",
    "thomas",
    "daniel",
    "hunter",
    "killer",
    "pepper",
    "summer",
    "winter",
    "spring",
    "autumn",
    "freedom",
    "whatever",
    "computer",
    "internet",
    "starwars",
    "pokemon",
    "minecraft",
    "liverpool",
    "chelsea",
    "arsenal",
    "barcelona",
    "manchester",
    "christmas",
    "secretsanta",
    "clubroom",
    "changeme",
    "secret",
    "flower",
    "cookie",
    "chocolate",
    "butterfly",
    "purple",
    "orange",
    "banana",
    "mustang",
    "ferrari",
    "jordan",
    "harley",
    "ranger",
    "buster",
    "tigger",
    "ginger",
    "maggie",
    "hello",
    "hellohello",
    "loveme",
    "family",
    "forever",
    "angel",
    "babygirl",
    "lovely",
    "nicole",
    "ashley",
    "matthew",
    "andrew",
    "joshua",
    "abc",
    "abcdef",
    "qazwsx",
];

/// ... and what people append to them.
const SUFFIXES: &[&str] = &[
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "!",
    "1!",
    "123!",
    "1234!",
    "12345!",
    "!!",
    "01",
    "69",
    "99",
    "007",
    "2020",
    "2021",
    "2022",
    "2023",
    "2024",
    "2025",
    "2026",
    "2027",
    "@123",
    "#1",
    "!@#",
    "!@#$",
    "123123",
    "321",
];

fn list() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut set: HashSet<String> = KNOWN.iter().map(|p| p.to_string()).collect();
        for base in BASES {
            for suffix in SUFFIXES {
                for word in [base.to_string(), format!("{base}{base}")] {
                    let candidate = format!("{word}{suffix}");
                    if candidate.len() >= 12 {
                        set.insert(candidate);
                    }
                }
            }
        }
        set
    })
}

/// True for a password on the list (compared without case), or one that is a single
/// character repeated.
pub(crate) fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    let mut chars = lowered.chars();
    let first = chars.next();
    if first.is_some() && chars.all(|c| Some(c) == first) {
        return true;
    }
    list().contains(&lowered)
}

#[cfg(test)]
mod tests {
    use super::is_common;

    #[test]
    fn common_long_passwords_are_caught() {
        for p in [
            "password1234",
            "Password1234",
            "qwertyuiop12",
            "football2024",
            "iloveyou1234!",
            "zzzzzzzzzzzzzz",
            "SkatingSkating1",
        ] {
            assert!(is_common(p), "{p}");
        }
    }

    #[test]
    fn ordinary_passphrases_pass() {
        for p in ["correct horse battery", "blue kettle on the stove", "Riverside-ice-at-7am"] {
            assert!(!is_common(p), "{p}");
        }
    }
}
