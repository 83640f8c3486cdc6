//! Emails hold links and codes that grant entry, so the outbox stores them sealed
//! (XChaCha20-Poly1305 under a key derived from the server's secret key): a copy of the
//! database alone reveals no usable secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::crypto::{keyed_hash, random_bytes};
use crate::error::AppError;

const PREFIX: &str = "sealed:v1:";

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// The outbox's sealer.
    pub fn new(secret: &[u8]) -> Self {
        Sealer::with_key(keyed_hash(secret, &[b"clubroom email outbox v1"]))
    }

    /// A sealer with a key of its own for `purpose` (`"card share"`, say), so a value sealed
    /// for one use never opens as another.
    pub(crate) fn for_purpose(secret: &[u8], purpose: &str) -> Self {
        Sealer::with_key(keyed_hash(secret, &[b"clubroom sealed v1", purpose.as_bytes()]))
    }

    fn with_key(key: Vec<u8>) -> Self {
        Sealer { cipher: XChaCha20Poly1305::new_from_slice(&key).expect("a 32-byte key") }
    }

    pub(crate) fn seal(&self, plain: &str) -> String {
        let nonce = random_bytes(24);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("encryption of a string cannot fail");
        let mut bytes = nonce;
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens what `seal` made. Fails (as an internal error) when the key changed or the text
    /// was altered.
    pub fn open(&self, sealed: &str) -> Result<String, AppError> {
        let encoded =
            sealed.strip_prefix(PREFIX).ok_or_else(|| AppError::internal("not a sealed text"))?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(AppError::internal)?;
        if bytes.len() < 24 {
            return Err(AppError::internal("sealed text too short"));
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).map_err(|_| {
            AppError::internal("the email could not be opened: was the secret key changed?")
        })?;
        String::from_utf8(plain).map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn sealed_text_opens_only_with_the_same_key() {
        let sealer = Sealer::new(b"secret one");
        let sealed = sealer.seal("code 123456");
        assert!(!sealed.contains("123456"));
        assert_ne!(sealed, sealer.seal("code 123456"), "a fresh nonce each time");
        assert_eq!(sealer.open(&sealed).unwrap(), "code 123456");
        assert!(Sealer::new(b"secret two").open(&sealed).is_err());
        let mut bytes = sealed.clone().into_bytes();
        let middle = bytes.len() - 10;
        bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(sealer.open(&tampered).is_err(), "an altered text does not open");
    }

    #[test]
    fn each_purpose_seals_under_its_own_key() {
        let card = Sealer::for_purpose(b"secret", "card share");
        let sealed = card.seal("token");
        assert_eq!(card.open(&sealed).unwrap(), "token");
        assert!(Sealer::for_purpose(b"secret", "calendar feed").open(&sealed).is_err());
        assert!(Sealer::new(b"secret").open(&sealed).is_err(), "nor with the outbox key");
    }
}
