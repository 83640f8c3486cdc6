//! Random tokens, their hashes and keyed signatures.
//!
//! A token handed to a user (session cookie, setup link, ...) carries 256 random bits; the
//! database keeps only its SHA-256, so a leaked database opens no account.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh URL-safe token of 32 random bytes (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random bytes, for keys.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// `bytes` random bytes as lowercase hex: an identifier nobody can guess (not a secret).
pub(crate) fn random_hex(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// The SHA-256 of a token, as stored in `*_hash` columns.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// HMAC-SHA256 of `parts` (separated so that ("ab","c") and ("a","bc") differ), URL-safe.
pub(crate) fn sign(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The unambiguous characters of typed codes (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A random code of `len` characters people can read out and type.
pub(crate) fn random_code(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..len).map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A random code of `len` decimal digits.
pub(crate) fn random_digits(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..len).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// HMAC-SHA256 of `parts` under `key`, as bytes: how short codes are stored, so that a copy of
/// the database alone cannot be used to try every code.
pub(crate) fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_url_safe() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn signatures_separate_their_parts() {
        let key = b"k";
        assert_ne!(sign(key, &[b"ab", b"c"]), sign(key, &[b"a", b"bc"]));
        assert_eq!(sign(key, &[b"x"]), sign(key, &[b"x"]));
        assert_ne!(sign(b"other", &[b"x"]), sign(key, &[b"x"]));
    }

    #[test]
    fn codes_use_their_alphabets() {
        let code = random_code(6);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        let digits = random_digits(6);
        assert!(digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
