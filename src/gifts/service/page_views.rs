//! What the exchange pages show, gathered in one read each.

use rusqlite::Connection;

use super::{exclusions, get, list, matches, mine, organizer_only, participants};
use crate::accounts::model::Actor;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::gifts::model::ExchangeState;
use crate::gifts::schedule::PURGE_AFTER_DAYS;
use crate::gifts::views::{
    AdminDetailPage, AdminListPage, DashboardPage, ExchangeForm, MatchProblem, MeForm,
};
use crate::settings;

/// Every time zone name, for the exchange form's suggestions.
fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// The organizers' dashboard: every exchange grouped by state, and the create form (its time
/// zone the club's own until one is typed).
pub(crate) fn admin_list_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    mut form: ExchangeForm,
) -> Result<AdminListPage, AppError> {
    if form.timezone.is_empty() {
        form.timezone = settings::club_timezone(conn)?;
    }
    Ok(AdminListPage { list: list(conn, ctx, actor)?, form, timezones: time_zones() })
}

/// One exchange for organizers: fields, participants, exclusions, the drawn pairs when there
/// are some, and a matching problem to explain. 403 / 404 as for `get`.
pub(crate) fn admin_detail_page(
    conn: &Connection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    form: Option<ExchangeForm>,
    problem: Option<MatchProblem>,
) -> Result<AdminDetailPage, AppError> {
    let exchange = get(conn, ctx, actor, id)?;
    let (participants, removed) =
        participants(conn, actor, id)?.into_iter().partition(|p| p.status == "active");
    let matches = if exchange.state.is_drawn() { matches(conn, actor, id)? } else { Vec::new() };
    Ok(AdminDetailPage {
        form: form.unwrap_or_else(|| ExchangeForm::of(&exchange)),
        can_edit_exclusions: exchange.state == ExchangeState::RegistrationClosed,
        exclusions: exclusions(conn, actor, id)?,
        exchange,
        participants,
        removed,
        matches,
        problem,
        qr_svg: String::new(),
        timezones: time_zones(),
        purge_after_days: PURGE_AFTER_DAYS,
    })
}

/// The participant's dashboard; `failed` names the exchange whose form is shown again.
pub(crate) fn dashboard(
    conn: &Connection,
    actor: &Actor,
    failed: Option<i64>,
    form: MeForm,
) -> Result<DashboardPage, AppError> {
    let can_manage = organizer_only(actor).is_ok();
    Ok(DashboardPage { exchanges: mine(conn, actor)?, can_manage, failed, form })
}
