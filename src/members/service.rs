//! Member use cases: the onboarding lifecycle (profile, agreement, review, activation), the
//! member's own profile, and the directory.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::json;

use super::input::{Answer, DirectoryQuery, ProfileInput, SignInput};
use super::model::{ProfileField, Step, Visibility};
use super::repo::{self, Profile};
use super::views::{
    AgreementStatus, DirectoryEntry, DirectoryList, DirectoryPage, OnboardingView, ProfileView,
    SharedField,
};
use crate::accounts::model::{AuthUser, UserStatus};
use crate::audit::{self, AuditEvent};
use crate::ctx::Ctx;
use crate::email;
use crate::error::{AppError, ErrorKind, FieldErrors, Validator};
use crate::paging::{Paging, Sizes};
use crate::settings;
use crate::values::{PersonName, Phone};

// ----- the lifecycle -----

/// The steps a member still has to take, in order.
pub(crate) fn missing_steps(conn: &Connection, p: &Profile) -> Result<Vec<Step>, AppError> {
    let review = settings::account_settings(conn)?.member_review;
    Ok(steps_left(p, needs_signature(conn, p.user_id)?, review))
}

/// `missing_steps` from facts already known.
fn steps_left(p: &Profile, agreement_pending: bool, review: bool) -> Vec<Step> {
    if p.status == UserStatus::Active || p.status == UserStatus::Disabled {
        return Vec::new();
    }
    [
        (p.onboarding_completed_at.is_none(), Step::Profile),
        (agreement_pending, Step::Agreement),
        (review, Step::Review),
    ]
    .into_iter()
    .filter_map(|(missing, step)| missing.then_some(step))
    .collect()
}

/// Whether the club has an agreement and this member has not signed its current version.
pub(crate) fn needs_signature(conn: &Connection, user_id: i64) -> Result<bool, AppError> {
    let Some(current) = repo::current_agreement(conn)? else { return Ok(false) };
    Ok(!repo::signatures(conn, user_id)?.iter().any(|s| s.version == current.version))
}

/// Moves a member who is joining to the status their progress calls for: `onboarding` until
/// the profile is saved, `pending_contract` until the current agreement is signed,
/// `pending_review` while the club reviews new members, else `active` (emailing them).
/// Members who are invited, active or disabled stay as they are. Returns the new status.
pub(crate) fn advance(
    conn: &Connection,
    ctx: &Ctx,
    user_id: i64,
    actor_id: Option<i64>,
) -> Result<UserStatus, AppError> {
    let Some(p) = repo::find_profile(conn, user_id)? else {
        return Err(AppError::not_found("There is no such member."));
    };
    if !matches!(
        p.status,
        UserStatus::Onboarding | UserStatus::PendingContract | UserStatus::PendingReview
    ) {
        return Ok(p.status);
    }
    let target = match missing_steps(conn, &p)?.first() {
        Some(Step::Profile) => UserStatus::Onboarding,
        Some(Step::Agreement) => UserStatus::PendingContract,
        Some(Step::Review) => UserStatus::PendingReview,
        None => UserStatus::Active,
    };
    if target != p.status {
        set_status(conn, ctx, &p, target, actor_id, None)?;
    }
    Ok(target)
}

/// Records a status change; on activation emails the member that they are in.
pub(crate) fn set_status(
    conn: &Connection,
    ctx: &Ctx,
    p: &Profile,
    to: UserStatus,
    actor_id: Option<i64>,
    note: Option<&str>,
) -> Result<(), AppError> {
    let now = ctx.now_unix();
    repo::change_status(conn, p.user_id, p.status, to, actor_id, note, now)?;
    if to == UserStatus::Active && p.status != UserStatus::Disabled {
        let club_name = settings::get(conn, settings::CLUB_NAME)?
            .unwrap_or_else(|| settings::DEFAULT_CLUB_NAME.to_string());
        let data = json!({
            "club_name": club_name,
            "name": p.name,
            "home_url": ctx.url("/home"),
        });
        email::queue(conn, ctx, &p.email, "member_activated", &data)?;
    }
    Ok(())
}

fn profile_of(conn: &Connection, user_id: i64) -> Result<Profile, AppError> {
    repo::find_profile(conn, user_id)?
        .ok_or_else(|| AppError::not_found("There is no such member."))
}

/// Guests and disabled accounts have nothing to join.
fn joining_member(user: &AuthUser) -> Result<(), AppError> {
    if user.is_guest_only() {
        return Err(AppError::forbidden("Guests do not join the club through onboarding.")
            .with_code("members_only"));
    }
    Ok(())
}

/// The member's onboarding: status, what is missing, the saved profile and the agreement.
pub(crate) fn onboarding(conn: &Connection, user: &AuthUser) -> Result<OnboardingView, AppError> {
    joining_member(user)?;
    let p = profile_of(conn, user.user_id)?;
    let fields = repo::list_fields(conn)?;
    let answers = repo::answers(conn, p.user_id)?;
    let missing_fields = missing_fields(&p, &fields, &answers);
    let review_required = settings::account_settings(conn)?.member_review;
    let agreement = agreement_status(conn, p.user_id)?;
    let agreement_pending = agreement.as_ref().is_some_and(|a| a.needs_signature);
    let steps = steps_left(&p, agreement_pending, review_required);
    Ok(OnboardingView {
        agreement_pending,
        status: p.status,
        onboarding_complete: p.status == UserStatus::Active,
        missing: steps.iter().map(|s| s.as_str()).collect(),
        missing_fields,
        review_required,
        agreement,
        profile: ProfileView::of(&p, &fields, &answers),
    })
}

/// The current agreement and where this member stands with it; None when there is none.
pub(crate) fn agreement_status(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<AgreementStatus>, AppError> {
    let Some(current) = repo::current_agreement(conn)? else { return Ok(None) };
    let signatures = repo::signatures(conn, user_id)?;
    let newest = signatures.first();
    Ok(Some(AgreementStatus {
        version: current.version,
        title: current.title,
        body: current.body,
        signed_version: newest.map(|s| s.version),
        signed_at: newest.map(|s| crate::clock::rfc3339_at(s.signed_at)),
        needs_signature: !signatures.iter().any(|s| s.version == current.version),
    }))
}

/// The names of what the profile still lacks: first and last name and required club fields.
fn missing_fields(p: &Profile, fields: &[ProfileField], answers: &[(i64, String)]) -> Vec<String> {
    let mut missing = Vec::new();
    if p.first_name.is_empty() {
        missing.push("first_name".to_string());
    }
    if p.last_name.is_empty() {
        missing.push("last_name".to_string());
    }
    for f in fields.iter().filter(|f| f.required) {
        if !answers.iter().any(|(id, _)| *id == f.id) {
            missing.push(format!("fields.{}", f.key));
        }
    }
    missing
}

/// Saves the onboarding profile and marks the step done, then moves the member on (to the
/// agreement, review or straight into the club). First and last name and the club's required
/// fields must be given (422 naming each). 409 `onboarding_complete` when it was already done.
pub(crate) fn complete_onboarding(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    input: ProfileInput,
) -> Result<OnboardingView, AppError> {
    joining_member(user)?;
    let mut p = profile_of(conn, user.user_id)?;
    if p.onboarding_completed_at.is_some() || p.status == UserStatus::Active {
        return Err(AppError::conflict(
            "Your onboarding is already complete. Change your details on your profile.",
        )
        .with_code("onboarding_complete"));
    }
    let fields = repo::list_fields(conn)?;
    let changes = apply_profile(conn, &mut p, &fields, input, true)?;
    let now = ctx.now_unix();
    repo::save_profile(conn, &p, now)?;
    save_answers(conn, p.user_id, &changes)?;
    repo::mark_onboarding_complete(conn, p.user_id, now)?;
    audit::record(
        conn,
        AuditEvent::new("onboarding_completed")
            .actor(p.user_id)
            .target(format!("user:{}", p.user_id)),
        now,
    )?;
    advance(conn, ctx, p.user_id, Some(p.user_id))?;
    onboarding(conn, user)
}

/// Signs the club's current agreement, recording the version, the time and the IP address,
/// then moves the member on. 409 `no_agreement` when the club has none, `agreement_changed`
/// when the version read is no longer current, `already_signed`; 422 when `accept` is not true
/// or the name is missing.
pub(crate) fn sign_agreement(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    input: SignInput,
    ip: Option<&str>,
) -> Result<OnboardingView, AppError> {
    joining_member(user)?;
    let Some(current) = repo::current_agreement(conn)? else {
        return Err(
            AppError::conflict("The club has no agreement to sign.").with_code("no_agreement")
        );
    };
    if input.version.is_some_and(|v| v != current.version) {
        return Err(AppError::conflict(
            "The agreement has changed since you opened it. Read the new version and sign again.",
        )
        .with_code("agreement_changed"));
    }
    let full_name = input.full_name.trim();
    let mut v = Validator::new();
    v.check(input.accept, "accept", "Tick the box to accept the agreement.");
    v.check(!full_name.is_empty(), "full_name", "Type your full name to sign.");
    v.check(
        full_name.chars().count() <= 120 && !full_name.chars().any(char::is_control),
        "full_name",
        "Use at most 120 letters, spaces and punctuation.",
    );
    v.finish()?;
    if !needs_signature(conn, user.user_id)? {
        return Err(
            AppError::conflict("You have already signed this version.").with_code("already_signed")
        );
    }
    let now = ctx.now_unix();
    repo::insert_signature(conn, user.user_id, current.id, full_name, ip, now)?;
    let event = AuditEvent::new("agreement_signed")
        .actor(user.user_id)
        .target(format!("agreement:{}", current.version))
        .ip(ip);
    audit::record(conn, event, now)?;
    advance(conn, ctx, user.user_id, Some(user.user_id))?;
    onboarding(conn, user)
}

// ----- the profile -----

/// The answers to save: field id -> new value (None clears it).
pub(super) type AnswerChanges = Vec<(i64, Option<String>)>;

fn text(v: &mut Validator, field: &str, value: Option<Answer>, max: usize, target: &mut String) {
    let Some(value) = value else { return };
    let value = value.as_str().trim();
    if value.chars().count() > max {
        v.check(false, field, format!("Use at most {max} characters."));
    } else if value.chars().any(|c| c.is_control() && c != '\n')
        || (max <= 120 && value.contains('\n'))
    {
        v.check(false, field, "Use letters, digits and punctuation only.");
    } else {
        *target = value.replace("\r\n", "\n");
    }
}

fn flag(v: &mut Validator, field: &str, value: Option<Answer>, target: &mut bool) {
    let Some(value) = value else { return };
    match value.as_str().trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => *target = true,
        "false" | "no" | "off" | "0" | "" => *target = false,
        _ => {
            v.check(false, field, "Use true or false.");
        }
    }
}

/// Applies `input` to `p` and checks it. With `completing`, the profile must end up complete
/// (names and required club fields); otherwise what is required may not be cleared once the
/// member finished onboarding. Returns the club-field answers to save, or 422 naming every
/// bad field.
pub(super) fn apply_profile(
    conn: &Connection,
    p: &mut Profile,
    fields: &[ProfileField],
    input: ProfileInput,
    completing: bool,
) -> Result<AnswerChanges, AppError> {
    let mut v = Validator::new();
    for (field, value, target) in [
        ("first_name", input.first_name, &mut p.first_name),
        ("last_name", input.last_name, &mut p.last_name),
    ] {
        let given = value.map(|value| PersonName::parse_optional(value.as_str()));
        if let Some(name) = given.and_then(|name| v.parsed(field, name)) {
            *target = name.map(PersonName::into_string).unwrap_or_default();
        }
    }
    text(&mut v, "city", input.city, 80, &mut p.city);
    text(&mut v, "state", input.state, 80, &mut p.state);
    text(&mut v, "country", input.country, 80, &mut p.country);
    text(&mut v, "zip", input.zip, 20, &mut p.zip);
    text(&mut v, "venue", input.venue, 120, &mut p.venue);
    text(&mut v, "address", input.address, 300, &mut p.address);
    text(
        &mut v,
        "emergency_contact_name",
        input.emergency_contact_name,
        80,
        &mut p.emergency_contact_name,
    );
    for (name, value, target) in [
        ("phone", input.phone, &mut p.phone),
        ("emergency_contact_phone", input.emergency_contact_phone, &mut p.emergency_contact_phone),
    ] {
        if let Some(phone) = value.and_then(|value| v.parsed(name, Phone::parse(value.as_str()))) {
            *target = phone.into_string();
        }
    }
    if let Some(zone) = input.timezone {
        let zone = zone.as_str().trim();
        if zone.is_empty() || crate::clock::is_time_zone(zone) {
            p.timezone = zone.to_string();
        } else {
            v.check(
                false,
                "timezone",
                "Choose a time zone such as Europe/London or America/New_York.",
            );
        }
    }
    if let Some(coach) = input.coach_id {
        match coach.as_str().trim() {
            "" => p.coach_id = None,
            id => match id.parse::<i64>() {
                Ok(id) if id != p.user_id && repo::is_coach(conn, id)? => p.coach_id = Some(id),
                _ => {
                    v.check(false, "coach_id", "Choose one of the club's coaches.");
                }
            },
        }
    }
    flag(&mut v, "show_email", input.show_email, &mut p.show_email);
    flag(&mut v, "show_phone", input.show_phone, &mut p.show_phone);

    let existing = repo::answers(conn, p.user_id)?;
    let mut changes = AnswerChanges::new();
    for (key, answer) in &input.fields {
        let name = format!("fields.{key}");
        match fields.iter().find(|f| &f.key == key) {
            Some(field) => match field.normalize(answer.as_str()) {
                Ok(value) => changes.push((field.id, value)),
                Err(message) => {
                    v.check(false, &name, message);
                }
            },
            None => {
                v.check(false, &name, "The club has no such field.");
            }
        }
    }
    let must_be_complete = completing || p.onboarding_completed_at.is_some();
    if must_be_complete {
        v.check(!p.first_name.is_empty(), "first_name", "First name is required.");
        v.check(!p.last_name.is_empty(), "last_name", "Last name is required.");
        for field in fields.iter().filter(|f| f.required) {
            let answered = match changes.iter().find(|(id, _)| *id == field.id) {
                Some((_, value)) => value.is_some(),
                None => existing.iter().any(|(id, _)| *id == field.id),
            };
            let name = format!("fields.{}", field.key);
            if !v.has_error(&name) {
                v.check(answered, &name, format!("{} is required.", field.label));
            }
        }
    }
    v.finish()?;
    Ok(changes)
}

pub(super) fn save_answers(
    conn: &Connection,
    user_id: i64,
    changes: &AnswerChanges,
) -> Result<(), AppError> {
    for (field_id, value) in changes {
        repo::set_answer(conn, user_id, *field_id, value.as_deref())?;
    }
    Ok(())
}

/// The member's own profile, with every club field and their answers.
pub(crate) fn me(conn: &Connection, user: &AuthUser) -> Result<ProfileView, AppError> {
    let p = profile_of(conn, user.user_id)?;
    let fields = repo::list_fields(conn)?;
    let answers = repo::answers(conn, p.user_id)?;
    Ok(ProfileView::of(&p, &fields, &answers))
}

/// Updates the member's own profile: contact details, time zone, names, coach, directory
/// visibility and club fields. Only the caller's own row is touched; roles, status and email
/// are not part of the input (422 naming them). Required fields cannot be cleared.
pub(crate) fn update_me(
    conn: &Connection,
    ctx: &Ctx,
    user: &AuthUser,
    input: ProfileInput,
) -> Result<ProfileView, AppError> {
    let mut p = profile_of(conn, user.user_id)?;
    let fields = repo::list_fields(conn)?;
    let changes = apply_profile(conn, &mut p, &fields, input, false)?;
    repo::save_profile(conn, &p, ctx.now_unix())?;
    save_answers(conn, p.user_id, &changes)?;
    me(conn, user)
}

/// Whether a search can be matched as typed. SQLite reads a LIKE pattern only up to a NUL,
/// so a search holding one would match every name; names hold no control characters at all.
pub(crate) fn searchable(q: &str) -> bool {
    !q.chars().any(char::is_control)
}

pub(crate) const SEARCH_CONTROL_CHARACTERS: &str = "Search without control characters.";

/// Page sizes of the directory.
pub(crate) const DIRECTORY_SIZES: Sizes = Sizes { default: 50, max: 100 };

/// Reads a directory query: the search (trimmed, at most 100 characters, no control
/// characters) and the page.
fn read_directory_query(query: &DirectoryQuery) -> Result<(Option<String>, Paging), AppError> {
    let mut v = Validator::new();
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    v.check(q.is_none_or(|q| q.chars().count() <= 100), "q", "Search for at most 100 characters.");
    v.check(q.is_none_or(searchable), "q", SEARCH_CONTROL_CHARACTERS);
    let paging =
        Paging::check(&mut v, query.page.as_deref(), query.per_page.as_deref(), DIRECTORY_SIZES);
    v.finish()?;
    Ok((q.map(str::to_string), paging))
}

/// One page of the members matching `q`, each with the club fields they share with members.
/// Without a search the page is cut from the kept order of all members (`ctx.directory_order`,
/// valid for `generation` of `db::AuthChanges`, read before `conn` was).
fn directory_list(
    conn: &Connection,
    ctx: &Ctx,
    generation: u64,
    q: Option<&str>,
    paging: &Paging,
) -> Result<DirectoryList, AppError> {
    let (total, rows) = match q {
        Some(_) => (
            repo::count_directory(conn, q)?,
            repo::directory(conn, q, paging.per_page, paging.offset())?,
        ),
        None => {
            let order = ctx
                .directory_order
                .get_or_read(generation, ctx.now_unix(), || repo::directory_ids(conn))?;
            let start = usize::try_from(paging.offset()).unwrap_or(usize::MAX).min(order.len());
            let size = usize::try_from(paging.per_page).unwrap_or(0);
            let page = &order[start..order.len().min(start.saturating_add(size))];
            (order.len() as i64, repo::directory_rows(conn, page)?)
        }
    };
    let fields = repo::list_fields(conn)?;
    let shared: Vec<&ProfileField> =
        fields.iter().filter(|f| f.visibility >= Visibility::Members).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let mut answers: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for (user_id, field_id, value) in repo::shared_answers(conn, &ids)? {
        answers.entry(user_id).or_default().push((field_id, value));
    }
    let items = rows
        .into_iter()
        .map(|row| {
            let mine = answers.remove(&row.user_id).unwrap_or_default();
            let fields = shared
                .iter()
                .filter_map(|f| {
                    let value = mine.iter().find(|(id, _)| *id == f.id)?.1.clone();
                    Some(SharedField { key: f.key.clone(), label: f.label.clone(), value })
                })
                .collect();
            DirectoryEntry {
                id: row.user_id,
                username: row.username,
                name: row.name,
                roles: row.roles,
                email: row.email,
                phone: row.phone,
                fields,
            }
        })
        .collect();
    Ok(DirectoryList {
        items,
        q: q.unwrap_or_default().to_string(),
        page: paging.page,
        per_page: paging.per_page,
        total,
        pages: paging.pages(total),
    })
}

/// One page of the active members (guests excluded) whose name or username contains `q`, by
/// name, then id, so that paging never shows a member twice or skips one: names, roles, the
/// club fields shared with members, and email or phone only where the member chose to show
/// them. 422 naming `q` (over 100 characters), `page` (not a whole number from 1) or
/// `per_page` (not 1 to 100; 50 when absent). A page past the end is empty. `generation` is
/// the value of `db::AuthChanges` read before `conn` was.
pub(crate) fn directory(
    conn: &Connection,
    ctx: &Ctx,
    generation: u64,
    query: &DirectoryQuery,
) -> Result<DirectoryList, AppError> {
    let (q, paging) = read_directory_query(query)?;
    directory_list(conn, ctx, generation, q.as_deref(), &paging)
}

/// The directory page: `directory` with its position and the links to the other pages, which
/// keep the search. Errors as for `directory`.
pub(crate) fn directory_page(
    conn: &Connection,
    ctx: &Ctx,
    generation: u64,
    query: &DirectoryQuery,
) -> Result<DirectoryPage, AppError> {
    let (q, paging) = read_directory_query(query)?;
    let list = directory_list(conn, ctx, generation, q.as_deref(), &paging)?;
    Ok(DirectoryPage::of(list, &paging))
}

/// A 409 that names each missing step as a field, for activation.
pub(crate) fn blocked(steps: &[Step]) -> AppError {
    let mut fields = FieldErrors::new();
    for step in steps {
        let message = match step {
            Step::Profile => "The member has not completed their profile.",
            Step::Agreement => "The member has not signed the current agreement.",
            Step::Review => "The member is waiting for review.",
        };
        fields.insert(step.as_str().to_string(), message.to_string());
    }
    let names: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
    AppError::new(
        ErrorKind::Conflict,
        format!("This member cannot be activated yet: missing {}.", names.join(" and ")),
    )
    .with_code("activation_blocked")
    .with_fields(fields)
}
