//! JSON endpoints under /api/v1/exchanges: organizers' management, participants' own entry,
//! the public registration; and the organizer right under /api/v1/admin/members.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Responder, Route};

use super::input::{
    AccessRequestInput, ActionInput, DeleteInput, ExchangeInput, ExclusionInput, JoinInput,
    MeInput, OrganizerInput, RegisterInput,
};
use super::service::{self, ExchangeCmd, ExclusionCmd, JoinCmd, MeCmd};
use super::views::{
    AssignmentView, ExchangeList, ExchangeView, ExclusionView, MatchOutcome, MatchView,
    MessageView, MyExchangeView, OrganizerView, ParticipantView, PublicExchangeView, Registered,
    RemovedParticipant, Withdrawn,
};
use crate::accounts::codes::{self, EmailFlow};
use crate::error::AppError;
use crate::ratelimit::Admitted;
use crate::web::download::CsvDownload;
use crate::web::guards::{AdminUser, App, Client, CurrentUser, OrganizerUser};
use crate::web::json::JsonBody;

/// The answer to match and rematch: the matched exchange, or 409 `no_match_possible` with the
/// usual error body plus the explanation (`reason`, `participant`, `blamed`, `fix`).
#[derive(Responder)]
enum MatchAnswer {
    Matched(Box<Json<ExchangeView>>),
    Impossible((Status, Json<serde_json::Value>)),
}

impl From<MatchOutcome> for MatchAnswer {
    fn from(outcome: MatchOutcome) -> Self {
        match outcome {
            MatchOutcome::Matched(view) => MatchAnswer::Matched(Box::new(Json(*view))),
            MatchOutcome::Impossible(problem) => {
                let body = serde_json::json!({
                    "error": {
                        "code": "no_match_possible",
                        "message": problem.message,
                        "fields": {},
                        "reason": problem.reason,
                        "participant": problem.participant,
                        "blamed": problem.blamed,
                        "fix": problem.fix,
                    }
                });
                MatchAnswer::Impossible((Status::Conflict, Json(body)))
            }
        }
    }
}

// ----- organizers: exchanges -----

#[get("/exchanges")]
async fn list(user: OrganizerUser, app: App) -> Result<Json<ExchangeList>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, ctx| service::list(tx, ctx, &actor)).await?))
}

#[post("/exchanges", data = "<input>")]
async fn create(
    user: OrganizerUser,
    input: JsonBody<ExchangeInput>,
    app: App,
) -> Result<(Status, Json<ExchangeView>), AppError> {
    let (actor, cmd) = (user.actor(), ExchangeCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::create(tx, ctx, &actor, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[get("/exchanges/<id>")]
async fn one(user: OrganizerUser, id: i64, app: App) -> Result<Json<ExchangeView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, ctx| service::get(tx, ctx, &actor, id)).await?))
}

/// Replaces the whole exchange (the body of create).
#[put("/exchanges/<id>", data = "<input>")]
async fn update(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<ExchangeInput>,
    app: App,
) -> Result<Json<ExchangeView>, AppError> {
    let (actor, cmd) = (user.actor(), ExchangeCmd::from(input.into_inner()));
    Ok(Json(app.write(move |tx, ctx| service::update(tx, ctx, &actor, id, cmd)).await?))
}

/// `{"confirm": "DELETE"}`.
#[delete("/exchanges/<id>", data = "<input>")]
async fn remove(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<DeleteInput>,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let (actor, confirm) = (user.actor(), input.into_inner().confirm);
    let done = app.write(move |tx, ctx| service::delete(tx, ctx, &actor, id, confirm.as_deref()));
    Ok(Json(done.await?))
}

// ----- organizers: the state machine -----

#[post("/exchanges/<id>/open")]
async fn open(user: OrganizerUser, id: i64, app: App) -> Result<Json<ExchangeView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.write(move |tx, ctx| service::open(tx, ctx, &actor, id)).await?))
}

#[post("/exchanges/<id>/close")]
async fn close(user: OrganizerUser, id: i64, app: App) -> Result<Json<ExchangeView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.write(move |tx, ctx| service::close(tx, ctx, &actor, id)).await?))
}

/// `{}` from registration_closed; `{"confirm": true}` from matched.
#[post("/exchanges/<id>/reopen", data = "<input>")]
async fn reopen(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<ActionInput>,
    app: App,
) -> Result<Json<ExchangeView>, AppError> {
    let (actor, confirm) = (user.actor(), input.into_inner().confirm.unwrap_or(false));
    Ok(Json(app.write(move |tx, ctx| service::reopen(tx, ctx, &actor, id, confirm)).await?))
}

/// `{}`, or `{"seed": 42}` for a reproducible draw.
#[post("/exchanges/<id>/match", data = "<input>")]
async fn draw(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<ActionInput>,
    app: App,
) -> Result<MatchAnswer, AppError> {
    let (actor, seed) = (user.actor(), input.into_inner().seed);
    let outcome =
        app.write(move |tx, ctx| service::match_exchange(tx, ctx, &actor, id, seed)).await?;
    Ok(outcome.into())
}

/// `{"confirm": true}` (and optionally `"seed"`).
#[post("/exchanges/<id>/rematch", data = "<input>")]
async fn redraw(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<ActionInput>,
    app: App,
) -> Result<MatchAnswer, AppError> {
    let (actor, input) = (user.actor(), input.into_inner());
    let (confirm, seed) = (input.confirm.unwrap_or(false), input.seed);
    let outcome =
        app.write(move |tx, ctx| service::rematch(tx, ctx, &actor, id, confirm, seed)).await?;
    Ok(outcome.into())
}

#[post("/exchanges/<id>/complete")]
async fn complete(user: OrganizerUser, id: i64, app: App) -> Result<Json<ExchangeView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.write(move |tx, ctx| service::complete(tx, ctx, &actor, id)).await?))
}

// ----- organizers: participants, exclusions, matches -----

#[get("/exchanges/<id>/participants")]
async fn participants(
    user: OrganizerUser,
    id: i64,
    app: App,
) -> Result<Json<Vec<ParticipantView>>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::participants(tx, &actor, id)).await?))
}

#[delete("/exchanges/<id>/participants/<pid>")]
async fn remove_participant(
    user: OrganizerUser,
    id: i64,
    pid: i64,
    app: App,
) -> Result<Json<RemovedParticipant>, AppError> {
    let actor = user.actor();
    let removed =
        app.write(move |tx, ctx| service::remove_participant(tx, ctx, &actor, id, pid)).await?;
    Ok(Json(removed))
}

#[get("/exchanges/<id>/exclusions")]
async fn exclusions(
    user: OrganizerUser,
    id: i64,
    app: App,
) -> Result<Json<Vec<ExclusionView>>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::exclusions(tx, &actor, id)).await?))
}

#[post("/exchanges/<id>/exclusions", data = "<input>")]
async fn add_exclusion(
    user: OrganizerUser,
    id: i64,
    input: JsonBody<ExclusionInput>,
    app: App,
) -> Result<(Status, Json<ExclusionView>), AppError> {
    let (actor, cmd) = (user.actor(), ExclusionCmd::from(input.into_inner()));
    let view = app.write(move |tx, ctx| service::add_exclusion(tx, ctx, &actor, id, cmd)).await?;
    Ok((Status::Created, Json(view)))
}

#[delete("/exchanges/<id>/exclusions/<xid>")]
async fn remove_exclusion(
    user: OrganizerUser,
    id: i64,
    xid: i64,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let actor = user.actor();
    let done = app.write(move |tx, ctx| service::remove_exclusion(tx, ctx, &actor, id, xid));
    Ok(Json(done.await?))
}

#[get("/exchanges/<id>/matches")]
async fn matches(user: OrganizerUser, id: i64, app: App) -> Result<Json<Vec<MatchView>>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::matches(tx, &actor, id)).await?))
}

/// Written (not read) because the export is audited.
#[get("/exchanges/<id>/matches.csv")]
async fn matches_csv(user: OrganizerUser, id: i64, app: App) -> Result<CsvDownload, AppError> {
    let actor = user.actor();
    let file = app.write(move |tx, ctx| service::matches_csv(tx, ctx, &actor, id)).await?;
    Ok(file.into())
}

// ----- participants -----

#[get("/exchanges/mine")]
async fn mine(user: CurrentUser, app: App) -> Result<Json<Vec<MyExchangeView>>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::mine(tx, &actor)).await?))
}

/// Only the fields given change.
#[put("/exchanges/<id>/me", data = "<input>")]
async fn update_me(
    user: CurrentUser,
    id: i64,
    input: JsonBody<MeInput>,
    app: App,
) -> Result<Json<MyExchangeView>, AppError> {
    let (actor, cmd) = (user.actor(), MeCmd::from(input.into_inner()));
    Ok(Json(app.write(move |tx, ctx| service::update_me(tx, ctx, &actor, id, cmd)).await?))
}

#[post("/exchanges/<id>/withdraw")]
async fn withdraw(user: CurrentUser, id: i64, app: App) -> Result<Json<Withdrawn>, AppError> {
    let actor = user.actor();
    Ok(Json(app.write(move |tx, ctx| service::withdraw(tx, ctx, &actor, id)).await?))
}

#[get("/exchanges/<id>/assignment")]
async fn assignment(
    user: CurrentUser,
    id: i64,
    app: App,
) -> Result<Json<AssignmentView>, AppError> {
    let actor = user.actor();
    Ok(Json(app.read(move |tx, _| service::assignment(tx, &actor, id)).await?))
}

// ----- the public link -----

#[get("/exchanges/<slug>/register")]
async fn public(slug: String, app: App) -> Result<Json<PublicExchangeView>, AppError> {
    Ok(Json(app.read(move |tx, ctx| service::public(tx, ctx, &slug)).await?))
}

/// Registration sends an email, so it counts against the client's email allowance.
#[post("/exchanges/<slug>/register", data = "<input>")]
async fn register(
    slug: String,
    input: JsonBody<RegisterInput>,
    client: Client,
    app: App,
) -> Result<(Status, Json<Registered>), AppError> {
    let cmd = Admitted::admit(&app.ctx.limits, input.into_inner().into_command(client.0, true))?;
    let done = app.write(move |tx, ctx| service::register(tx, ctx, &slug, cmd)).await?;
    Ok((Status::Created, Json(done)))
}

/// One click for someone signed in: `{}` or `{"gift_ideas", "reminders"}`.
#[post("/exchanges/<slug>/join", data = "<input>")]
async fn join(
    user: CurrentUser,
    slug: String,
    input: JsonBody<JoinInput>,
    app: App,
) -> Result<(Status, Json<Registered>), AppError> {
    let cmd = JoinCmd::from(input.into_inner());
    let actor = user.actor();
    let done = app.write(move |tx, ctx| service::join(tx, ctx, &actor, &slug, cmd)).await?;
    Ok((Status::Created, Json(done)))
}

/// Always the same answer; the work happens after it, so timing tells nothing either.
#[post("/exchanges/<slug>/request-access", data = "<input>")]
async fn request_access(
    slug: String,
    input: JsonBody<AccessRequestInput>,
    client: Client,
    app: App,
) -> Result<Json<MessageView>, AppError> {
    let email = codes::admit(&app.ctx, EmailFlow::MagicLink, &input.into_inner().email, &client.0)?;
    app.write_later("exchange access link", move |tx, ctx| {
        service::request_access(tx, ctx, &slug, &email)
    })?;
    Ok(Json(MessageView { message: super::views::ACCESS_SENT.into() }))
}

// ----- the organizer right -----

#[put("/admin/members/<id>/organizer", data = "<input>")]
async fn organizer(
    admin: AdminUser,
    id: i64,
    input: JsonBody<OrganizerInput>,
    app: App,
) -> Result<Json<OrganizerView>, AppError> {
    let (actor, on) = (admin.actor(), input.into_inner().organizer);
    Ok(Json(app.write(move |tx, ctx| service::set_organizer(tx, ctx, &actor, id, on)).await?))
}

pub(crate) fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        one,
        update,
        remove,
        open,
        close,
        reopen,
        draw,
        redraw,
        complete,
        participants,
        remove_participant,
        exclusions,
        add_exclusion,
        remove_exclusion,
        matches,
        matches_csv,
        mine,
        update_me,
        withdraw,
        assignment,
        public,
        register,
        join,
        request_access,
        organizer
    ]
}
