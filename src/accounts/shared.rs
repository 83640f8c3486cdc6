//! What the JSON handlers and the pages of accounts share: the registration that waits for a
//! password-hashing slot, and answering a sign-in challenge.

use super::second_step::{self, AnswerCommand};
use super::service::{self, RegisterCommand};
use super::sessions::LoginOutcome;
use crate::error::{AppError, ErrorKind};
use crate::invites::service as invites;
use crate::ratelimit::Admitted;
use crate::web::guards::App;

/// Registers once a password-hashing slot is free. A sign-up refused for finding them all taken
/// (503 `busy`) hears its invitation's own refusal instead when the invitation can no longer be
/// used: when many people race for one single-use invitation, the slots fill with sign-ups
/// that can never succeed, and "try again in a moment" would be wrong for all of them.
pub(crate) async fn register_when_free(
    app: &App,
    cmd: Admitted<RegisterCommand>,
) -> Result<service::Registration, AppError> {
    let token = cmd.invite_token.clone();
    match app.hashing(move |conn, ctx| service::register(conn, ctx, cmd)).await {
        Err(busy) if busy.code() == "busy" => {
            let refusal = app
                .read(move |tx, ctx| Ok(invites::preflight(tx, ctx, token.as_deref()).err()))
                .await?
                .filter(|refusal| refusal.kind() == ErrorKind::Forbidden);
            Err(refusal.unwrap_or(busy))
        }
        done => done,
    }
}

/// Answers a sign-in challenge: admitted per client address, and with a hashing slot when the
/// answer is a password.
pub(crate) async fn answer_challenge(
    app: &App,
    cmd: AnswerCommand,
) -> Result<LoginOutcome, AppError> {
    let hashing = cmd.needs_hashing();
    let cmd = Admitted::admit(&app.ctx.limits, cmd)?;
    if hashing {
        app.hashing(move |conn, ctx| second_step::answer(conn, ctx, cmd)).await
    } else {
        app.call(move |conn, ctx| second_step::answer(conn, ctx, cmd)).await
    }
}
