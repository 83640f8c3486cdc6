//! Short typed codes (emailed codes, recovery codes): how they are compared and stored, and
//! the one refusal every wrong one gets.

use super::model::TokenPurpose;
use crate::crypto::keyed_hash;
use crate::ctx::Ctx;
use crate::error::{AppError, ErrorKind};

/// Codes are compared without case, spaces or dashes.
pub(crate) fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase()
}

/// The stored form of a short code: a hash keyed with the server secret, so six characters
/// cannot be found by hashing every possible code without the key.
pub(crate) fn code_hash(ctx: &Ctx, purpose: TokenPurpose, code: &str) -> Vec<u8> {
    keyed_hash(&ctx.secret, &[purpose.as_str().as_bytes(), normalize_code(code).as_bytes()])
}

pub(crate) fn invalid_code() -> AppError {
    AppError::new(
        ErrorKind::BadRequest,
        "This code or link is wrong, has expired or was already used.",
    )
    .with_code("invalid_code")
}
