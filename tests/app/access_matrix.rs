//! The access-control matrix: for every kind of record and every verb the API and the pages
//! offer on it, four attackers try the victim's record by id: another member, a coach (staff,
//! but neither the victim's coach nor an admin), a guest account and a logged-out browser.
//! Each attempt must be refused with the status the project's rules give (404 for other
//! people's records so that ids reveal nothing, 403 for admins' work and for guests in the
//! member area, 401 or the login page without a session), must not show the victim's data,
//! and must leave the whole database as it was.
//!
//! A second test reads the routes the built application mounts: every route with a parameter
//! in its path is either a row of the matrix or on the commented list of routes that are
//! public by design, so a new route cannot be left out unnoticed.

use chrono::Duration;
use clubroom::accounts::model::Role;
use clubroom::clock::Clock;
use rocket::http::{Method, Status};
use serde_json::json;

use crate::attackers::*;
use crate::support::*;

use Method::{Delete, Get, Patch, Post, Put};
use Obj::*;
use Rule::*;

/// Whose record a row attacks, which says how each attacker must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The victim's own record in the member area: 404 to every other member (ids reveal
    /// nothing), 403 to guests (kept out of the member area), no session: 401 / login page.
    Owner,
    /// The victim's own record behind any account (sign-ins, gift exchanges, which guests
    /// take part in too): 404 to everybody else who is signed in.
    Account,
    /// Admins' (or gift organizers') work: 403 to everybody else who is signed in.
    Admin,
    /// Acting for another member, which only their coach and admins may: 403 to the others,
    /// whether the id exists or not.
    ForOthers,
    /// The victim's id slipped into one's own request as an extra field: 422, since every
    /// JSON body refuses unknown fields (guests: 403, kept out of the member area).
    Smuggled,
}

/// The ids a row puts into its path, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    /// The victim's account.
    Victim,
    /// A member who shares the victim's conversations.
    Pal,
    /// Whoever is attacking (to grant themselves something).
    Attacker,
    Activity,
    ActivityType,
    Booking,
    Service,
    /// The victim's copy of a notice (what the member's endpoints take).
    Copy,
    /// The notice itself (what the admins' endpoints take).
    Notice,
    Group,
    Direct,
    Exchange,
    Participant,
    Exclusion,
    Invite,
    Session,
    TokenFamily,
    Passkey,
    Outbox,
    Import,
    Backup,
    Field,
}

#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// JSON text; `$name` stands for one of the world's values (see `World::fill`).
    Json(&'static str),
    /// Form fields (the attacker's own, valid CSRF token is added), with `$name` as above.
    Form(&'static [(&'static str, &'static str)]),
}

use Body::{Form, Json};
const NONE: Body = Body::None;
const EMPTY: Body = Json("{}");

/// One row: a verb on a kind of record.
struct Attempt {
    kind: &'static str,
    verb: &'static str,
    method: Method,
    /// The path as mounted, parameters in angle brackets (also in the query).
    path: &'static str,
    ids: &'static [Obj],
    body: Body,
    rule: Rule,
}

const fn row(
    kind: &'static str,
    verb: &'static str,
    method: Method,
    path: &'static str,
    ids: &'static [Obj],
    body: Body,
    rule: Rule,
) -> Attempt {
    Attempt { kind, verb, method, path, ids, body, rule }
}

const ACTIVITY_JSON: &str = r#"{"started_at": "$past", "duration_minutes": 5, "type": "walk", "format": "solo", "notes": "taken"}"#;
const ACTIVITY_FORM: &[(&str, &str)] = &[
    ("started_local", "$past_local"),
    ("duration_minutes", "5"),
    ("type", "walk"),
    ("format", "solo"),
    ("notes", "taken"),
];
const EXCHANGE_JSON: &str = r#"{"name": "Taken over", "description": "", "budget": "1 euro", "registration_close_date": "$close_date", "exchange_date": "$exchange_date", "timezone": "UTC"}"#;
const EXCHANGE_FORM: &[(&str, &str)] = &[
    ("name", "Taken over"),
    ("budget", "1 euro"),
    ("registration_close_date", "$close_date"),
    ("exchange_date", "$exchange_date"),
    ("timezone", "UTC"),
];

#[rustfmt::skip]
const MATRIX: &[Attempt] = &[
    // ----- profile: the victim's account, through the admins' screens and one's own -----
    row("profile", "read (admin view)",     Get,    "/api/v1/admin/members/<id>",                     &[Victim], NONE, Admin),
    row("profile", "activate",              Post,   "/api/v1/admin/members/<id>/activate",            &[Victim], EMPTY, Admin),
    row("profile", "disable",               Post,   "/api/v1/admin/members/<id>/disable",             &[Victim], EMPTY, Admin),
    row("profile", "enable",                Post,   "/api/v1/admin/members/<id>/enable",              &[Victim], EMPTY, Admin),
    row("profile", "change roles",          Put,    "/api/v1/admin/members/<id>/roles",               &[Victim], Json(r#"{"roles": ["guest"]}"#), Admin),
    row("profile", "make oneself admin",    Put,    "/api/v1/admin/members/<id>/roles",               &[Attacker], Json(r#"{"roles": ["admin", "member"]}"#), Admin),
    row("profile", "end sessions",          Delete, "/api/v1/admin/members/<id>/sessions",            &[Victim], EMPTY, Admin),
    row("profile", "reset two-factor",      Post,   "/api/v1/admin/members/<id>/two-factor/reset",    &[Victim], EMPTY, Admin),
    row("profile", "send access link",      Post,   "/api/v1/admin/members/<id>/access",              &[Victim], Json(r#"{"kind": "set_password"}"#), Admin),
    row("profile", "deletion preview",      Get,    "/api/v1/admin/members/<id>/deletion",            &[Victim], NONE, Admin),
    row("profile", "delete",                Delete, "/api/v1/admin/members/<id>",                     &[Victim], Json(r#"{"confirm": "vic"}"#), Admin),
    row("profile", "make organizer",        Put,    "/api/v1/admin/members/<id>/organizer",           &[Victim], Json(r#"{"organizer": true}"#), Admin),
    row("profile", "make oneself organizer",Put,    "/api/v1/admin/members/<id>/organizer",           &[Attacker], Json(r#"{"organizer": true}"#), Admin),
    row("profile", "update with user_id",   Put,    "/api/v1/me",                                     &[], Json(r#"{"first_name": "Taken", "user_id": $victim}"#), Smuggled),
    row("profile", "update with id",        Put,    "/api/v1/me",                                     &[], Json(r#"{"first_name": "Taken", "id": $victim}"#), Smuggled),
    row("profile", "page (admin view)",     Get,    "/admin/members/<id>",                            &[Victim], NONE, Admin),
    row("profile", "activate (form)",       Post,   "/admin/members/<id>/activate",                   &[Victim], Form(&[("note", "")]), Admin),
    row("profile", "disable (form)",        Post,   "/admin/members/<id>/disable",                    &[Victim], Form(&[("note", "")]), Admin),
    row("profile", "enable (form)",         Post,   "/admin/members/<id>/enable",                     &[Victim], Form(&[("note", "")]), Admin),
    row("profile", "roles (form)",          Post,   "/admin/members/<id>/roles",                      &[Attacker], Form(&[("roles", "admin"), ("roles", "member")]), Admin),
    row("profile", "end sessions (form)",   Post,   "/admin/members/<id>/sessions/revoke",            &[Victim], Form(&[]), Admin),
    row("profile", "reset 2FA (form)",      Post,   "/admin/members/<id>/two-factor/reset",           &[Victim], Form(&[]), Admin),
    row("profile", "access link (form)",    Post,   "/admin/members/<id>/access",                     &[Victim], Form(&[("kind", "set_password")]), Admin),
    row("profile", "delete page",           Get,    "/admin/members/<id>/delete",                     &[Victim], NONE, Admin),
    row("profile", "delete (form)",         Post,   "/admin/members/<id>/delete",                     &[Victim], Form(&[("confirm", "vic")]), Admin),
    row("profile", "organizer (form)",      Post,   "/admin/members/<id>/organizer",                  &[Attacker], Form(&[("organizer", "true")]), Admin),

    // ----- card settings: only one's own card has endpoints; the public card is by token -----
    row("card settings", "contact preference with user_id", Put, "/api/v1/card/contact-preference", &[], Json(r#"{"contact_preference": "email", "user_id": $victim}"#), Smuggled),

    // ----- activity -----
    row("activity", "read",                 Get,    "/api/v1/activities/<id>",                        &[Activity], NONE, Owner),
    row("activity", "update",               Put,    "/api/v1/activities/<id>",                        &[Activity], Json(ACTIVITY_JSON), Owner),
    row("activity", "delete",               Delete, "/api/v1/activities/<id>",                        &[Activity], EMPTY, Owner),
    row("activity", "list the victim's",    Get,    "/api/v1/activities?member_id=<member_id>",       &[Victim], NONE, Owner),
    row("activity", "export the victim's",  Get,    "/api/v1/activities/export.csv?member_id=<member_id>", &[Victim], NONE, Owner),
    row("activity", "record for the victim",Post,   "/api/v1/activities",                             &[], Json(r#"{"member_id": $victim, "started_at": "$past", "duration_minutes": 5, "type": "walk", "format": "solo"}"#), ForOthers),
    row("activity", "edit page",            Get,    "/activities/<id>/edit",                          &[Activity], NONE, Owner),
    row("activity", "update (form)",        Post,   "/activities/<id>/edit",                          &[Activity], Form(ACTIVITY_FORM), Owner),
    row("activity", "delete (form)",        Post,   "/activities/<id>/delete",                        &[Activity], Form(&[]), Owner),
    row("activity", "the victim's log page",Get,    "/activities?member_id=<member_id>",              &[Victim], NONE, Owner),
    row("activity", "record page for them", Get,    "/activities/new?member_id=<member_id>",          &[Victim], NONE, ForOthers),
    row("activity", "record for them (form)",Post,  "/activities",                                    &[], Form(&[("member_id", "$victim"), ("started_local", "$past_local"), ("duration_minutes", "5"), ("type", "walk"), ("format", "solo")]), ForOthers),
    row("activity type", "change",          Put,    "/api/v1/admin/activity-types/<id>",              &[ActivityType], Json(r#"{"label": "Taken"}"#), Admin),
    row("activity type", "delete",          Delete, "/api/v1/admin/activity-types/<id>",              &[ActivityType], EMPTY, Admin),
    row("activity type", "rename (form)",   Post,   "/admin/activity-types/<id>",                     &[ActivityType], Form(&[("label", "Taken")]), Admin),
    row("activity type", "archive (form)",  Post,   "/admin/activity-types/<id>/archive",             &[ActivityType], Form(&[]), Admin),
    row("activity type", "restore (form)",  Post,   "/admin/activity-types/<id>/restore",             &[ActivityType], Form(&[]), Admin),
    row("activity type", "delete (form)",   Post,   "/admin/activity-types/<id>/delete",              &[ActivityType], Form(&[]), Admin),

    // ----- booking -----
    row("booking", "read",                  Get,    "/api/v1/bookings/<id>",                          &[Booking], NONE, Owner),
    row("booking", "cancel",                Post,   "/api/v1/bookings/<id>/cancel",                   &[Booking], EMPTY, Owner),
    row("booking", "confirm",               Post,   "/api/v1/admin/bookings/<id>/confirm",            &[Booking], Json(r#"{"message": "ok"}"#), Admin),
    row("booking", "decline",               Post,   "/api/v1/admin/bookings/<id>/decline",            &[Booking], Json(r#"{"message": "no"}"#), Admin),
    row("booking", "complete",              Post,   "/api/v1/admin/bookings/<id>/complete",           &[Booking], EMPTY, Admin),
    row("booking", "cancel (form)",         Post,   "/bookings/<id>/cancel",                          &[Booking], Form(&[]), Owner),
    row("booking", "confirm (form)",        Post,   "/admin/bookings/<id>/confirm",                   &[Booking], Form(&[("message", "ok")]), Admin),
    row("booking", "decline (form)",        Post,   "/admin/bookings/<id>/decline",                   &[Booking], Form(&[("message", "no")]), Admin),
    row("booking", "complete (form)",       Post,   "/admin/bookings/<id>/complete",                  &[Booking], Form(&[]), Admin),
    row("service", "change",                Put,    "/api/v1/admin/services/<id>",                    &[Service], Json(r#"{"name": "Taken"}"#), Admin),
    row("service", "delete",                Delete, "/api/v1/admin/services/<id>",                    &[Service], EMPTY, Admin),
    row("service", "edit page",             Get,    "/admin/services/<id>/edit",                      &[Service], NONE, Admin),
    row("service", "change (form)",         Post,   "/admin/services/<id>",                           &[Service], Form(&[("name", "Taken"), ("duration_minutes", "30")]), Admin),
    row("service", "archive (form)",        Post,   "/admin/services/<id>/archive",                   &[Service], Form(&[]), Admin),
    row("service", "restore (form)",        Post,   "/admin/services/<id>/restore",                   &[Service], Form(&[]), Admin),
    row("service", "delete (form)",         Post,   "/admin/services/<id>/delete",                    &[Service], Form(&[]), Admin),

    // ----- notice and its replies -----
    row("notice", "read",                   Get,    "/api/v1/messages/<id>",                          &[Copy], NONE, Owner),
    row("notice", "mark read",              Put,    "/api/v1/messages/<id>/read",                     &[Copy], EMPTY, Owner),
    row("notice", "delete",                 Delete, "/api/v1/messages/<id>",                          &[Copy], EMPTY, Owner),
    row("notice", "reply",                  Post,   "/api/v1/messages/<id>/reply",                    &[Copy], Json(r#"{"body": "taken"}"#), Owner),
    row("notice", "read (admin view)",      Get,    "/api/v1/admin/messages/<id>",                    &[Notice], NONE, Admin),
    row("notice", "answer a reply",         Post,   "/api/v1/admin/messages/<id>/recipients/<user_id>/reply", &[Notice, Victim], Json(r#"{"body": "taken"}"#), Admin),
    row("notice", "page",                   Get,    "/messages/<id>",                                 &[Copy], NONE, Owner),
    row("notice", "reply (form)",           Post,   "/messages/<id>/reply",                           &[Copy], Form(&[("body", "taken")]), Owner),
    row("notice", "delete (form)",          Post,   "/messages/<id>/delete",                          &[Copy], Form(&[]), Owner),
    row("notice", "page (admin view)",      Get,    "/admin/messages/<id>",                           &[Notice], NONE, Admin),
    row("notice", "answer (form)",          Post,   "/admin/messages/<id>/recipients/<user_id>/reply",&[Notice, Victim], Form(&[("body", "taken")]), Admin),

    // ----- conversation and its messages (a group the victim is in, and a one-to-one) -----
    row("conversation", "read",             Get,    "/api/v1/conversations/<id>",                     &[Group], NONE, Owner),
    row("conversation", "read one-to-one",  Get,    "/api/v1/conversations/<id>",                     &[Direct], NONE, Owner),
    row("conversation", "rename",           Patch,  "/api/v1/conversations/<id>",                     &[Group], Json(r#"{"name": "Taken over"}"#), Owner),
    row("conversation", "add oneself",      Post,   "/api/v1/conversations/<id>/members",             &[Group], Json(r#"{"member_ids": [$attacker]}"#), Owner),
    row("conversation", "remove a member",  Delete, "/api/v1/conversations/<id>/members/<user_id>",   &[Group, Pal], EMPTY, Owner),
    row("conversation", "leave",            Post,   "/api/v1/conversations/<id>/leave",               &[Group], EMPTY, Owner),
    row("conversation", "history",          Get,    "/api/v1/conversations/<id>/messages",            &[Group], NONE, Owner),
    row("conversation", "history one-to-one", Get,  "/api/v1/conversations/<id>/messages",            &[Direct], NONE, Owner),
    row("conversation", "post",             Post,   "/api/v1/conversations/<id>/messages",            &[Group], Json(r#"{"content": "taken"}"#), Owner),
    row("conversation", "post one-to-one",  Post,   "/api/v1/conversations/<id>/messages",            &[Direct], Json(r#"{"content": "taken"}"#), Owner),
    row("conversation", "mark read",        Put,    "/api/v1/conversations/<id>/read",                &[Group], Json(r#"{"message_id": $message}"#), Owner),
    row("conversation", "page",             Get,    "/conversations/<id>",                            &[Group], NONE, Owner),
    row("conversation", "page one-to-one",  Get,    "/conversations/<id>",                            &[Direct], NONE, Owner),
    row("conversation", "post (form)",      Post,   "/conversations/<id>/messages",                   &[Group], Form(&[("content", "taken")]), Owner),
    row("conversation", "post one-to-one (form)", Post, "/conversations/<id>/messages",               &[Direct], Form(&[("content", "taken")]), Owner),
    row("conversation", "rename (form)",    Post,   "/conversations/<id>/rename",                     &[Group], Form(&[("name", "Taken over")]), Owner),
    row("conversation", "add oneself (form)", Post, "/conversations/<id>/members",                    &[Group], Form(&[("member_ids", "$attacker")]), Owner),
    row("conversation", "remove (form)",    Post,   "/conversations/<id>/members/<user_id>/remove",   &[Group, Pal], Form(&[]), Owner),
    row("conversation", "leave (form)",     Post,   "/conversations/<id>/leave",                      &[Group], Form(&[]), Owner),

    // ----- gift exchange: the organizers' side -----
    row("exchange", "read",                 Get,    "/api/v1/exchanges/<id>",                         &[Exchange], NONE, Admin),
    row("exchange", "change",               Put,    "/api/v1/exchanges/<id>",                         &[Exchange], Json(EXCHANGE_JSON), Admin),
    row("exchange", "delete",               Delete, "/api/v1/exchanges/<id>",                         &[Exchange], Json(r#"{"confirm": "DELETE"}"#), Admin),
    row("exchange", "open",                 Post,   "/api/v1/exchanges/<id>/open",                    &[Exchange], EMPTY, Admin),
    row("exchange", "close",                Post,   "/api/v1/exchanges/<id>/close",                   &[Exchange], EMPTY, Admin),
    row("exchange", "reopen",               Post,   "/api/v1/exchanges/<id>/reopen",                  &[Exchange], Json(r#"{"confirm": true}"#), Admin),
    row("exchange", "draw",                 Post,   "/api/v1/exchanges/<id>/match",                   &[Exchange], EMPTY, Admin),
    row("exchange", "draw again",           Post,   "/api/v1/exchanges/<id>/rematch",                 &[Exchange], Json(r#"{"confirm": true}"#), Admin),
    row("exchange", "complete",             Post,   "/api/v1/exchanges/<id>/complete",                &[Exchange], EMPTY, Admin),
    row("exchange", "exclusions",           Get,    "/api/v1/exchanges/<id>/exclusions",              &[Exchange], NONE, Admin),
    row("exchange", "add exclusion",        Post,   "/api/v1/exchanges/<id>/exclusions",              &[Exchange], Json(r#"{"participant_a": $participant, "participant_b": $pal_participant}"#), Admin),
    row("exchange", "remove exclusion",     Delete, "/api/v1/exchanges/<id>/exclusions/<xid>",        &[Exchange, Exclusion], EMPTY, Admin),
    row("exchange", "schedule",             Get,    "/api/v1/exchanges/<id>/schedule",                &[Exchange], NONE, Admin),
    row("exchange", "change schedule",      Put,    "/api/v1/exchanges/<id>/schedule",                &[Exchange], Json(r#"{"reminder_days": [1]}"#), Admin),
    row("exchange", "page",                 Get,    "/admin/exchanges/<id>",                          &[Exchange], NONE, Admin),
    row("exchange", "change (form)",        Post,   "/admin/exchanges/<id>",                          &[Exchange], Form(EXCHANGE_FORM), Admin),
    row("exchange", "open (form)",          Post,   "/admin/exchanges/<id>/open",                     &[Exchange], Form(&[]), Admin),
    row("exchange", "close (form)",         Post,   "/admin/exchanges/<id>/close",                    &[Exchange], Form(&[]), Admin),
    row("exchange", "reopen (form)",        Post,   "/admin/exchanges/<id>/reopen",                   &[Exchange], Form(&[("confirm", "true")]), Admin),
    row("exchange", "complete (form)",      Post,   "/admin/exchanges/<id>/complete",                 &[Exchange], Form(&[]), Admin),
    row("exchange", "draw (form)",          Post,   "/admin/exchanges/<id>/match",                    &[Exchange], Form(&[]), Admin),
    row("exchange", "draw again (form)",    Post,   "/admin/exchanges/<id>/rematch",                  &[Exchange], Form(&[("confirm", "true")]), Admin),
    row("exchange", "delete (form)",        Post,   "/admin/exchanges/<id>/delete",                   &[Exchange], Form(&[("confirm", "DELETE")]), Admin),
    row("exchange", "add exclusion (form)", Post,   "/admin/exchanges/<id>/exclusions",               &[Exchange], Form(&[("participant_a", "$participant"), ("participant_b", "$pal_participant")]), Admin),
    row("exchange", "remove exclusion (form)", Post, "/admin/exchanges/<id>/exclusions/<xid>/delete", &[Exchange, Exclusion], Form(&[]), Admin),
    row("exchange", "schedule page",        Get,    "/admin/exchanges/<id>/schedule",                 &[Exchange], NONE, Admin),
    row("exchange", "schedule (form)",      Post,   "/admin/exchanges/<id>/schedule",                 &[Exchange], Form(&[("reminder_days", "1")]), Admin),

    // ----- exchange participant: the victim's place in the exchange -----
    row("exchange participant", "list",     Get,    "/api/v1/exchanges/<id>/participants",            &[Exchange], NONE, Admin),
    row("exchange participant", "remove",   Delete, "/api/v1/exchanges/<id>/participants/<pid>",      &[Exchange, Participant], EMPTY, Admin),
    row("exchange participant", "remove (form)", Post, "/admin/exchanges/<id>/participants/<pid>/remove", &[Exchange, Participant], Form(&[]), Admin),
    row("exchange participant", "change own entry", Put, "/api/v1/exchanges/<id>/me",                 &[Exchange], Json(r#"{"gift_ideas": "taken"}"#), Account),
    row("exchange participant", "withdraw", Post,   "/api/v1/exchanges/<id>/withdraw",                &[Exchange], EMPTY, Account),
    row("exchange participant", "change own entry (form)", Post, "/exchanges/<id>/me",                &[Exchange], Form(&[("gift_ideas", "taken")]), Account),
    row("exchange participant", "withdraw (form)", Post, "/exchanges/<id>/withdraw",                  &[Exchange], Form(&[]), Account),

    // ----- assignment: who gives to whom -----
    row("assignment", "own assignment",     Get,    "/api/v1/exchanges/<id>/assignment",              &[Exchange], NONE, Account),
    row("assignment", "every match",        Get,    "/api/v1/exchanges/<id>/matches",                 &[Exchange], NONE, Admin),
    row("assignment", "every match (CSV)",  Get,    "/api/v1/exchanges/<id>/matches.csv",             &[Exchange], NONE, Admin),

    // ----- invite -----
    row("invite", "resend",                 Post,   "/api/v1/admin/invites/<id>/resend",              &[Invite], EMPTY, Admin),
    row("invite", "revoke",                 Post,   "/api/v1/admin/invites/<id>/revoke",              &[Invite], EMPTY, Admin),
    row("invite", "resend (form)",          Post,   "/admin/invites/<id>/resend",                     &[Invite], Form(&[]), Admin),
    row("invite", "revoke (form)",          Post,   "/admin/invites/<id>/revoke",                     &[Invite], Form(&[]), Admin),

    // ----- session: the victim's browser sign-in and API sign-in -----
    row("session", "end",                   Delete, "/api/v1/auth/sessions/<id>",                     &[Session], EMPTY, Account),
    row("session", "end API sign-in",       Delete, "/api/v1/auth/tokens/<family>",                   &[TokenFamily], EMPTY, Account),
    row("session", "end (form)",            Post,   "/account/sessions/<id>/revoke",                  &[Session], Form(&[]), Account),
    row("session", "end API sign-in (form)",Post,   "/account/tokens/<family>/revoke",                &[TokenFamily], Form(&[]), Account),

    // ----- passkey: one the victim signs in with -----
    row("passkey", "rename",                Patch,  "/api/v1/auth/passkeys/<id>",                     &[Passkey], Json(r#"{"name": "Taken"}"#), Account),
    row("passkey", "remove",                Delete, "/api/v1/auth/passkeys/<id>",                     &[Passkey], EMPTY, Account),
    row("passkey", "rename page",           Get,    "/account/passkeys/<id>/rename",                  &[Passkey], NONE, Account),
    row("passkey", "rename (form)",         Post,   "/account/passkeys/<id>/rename",                  &[Passkey], Form(&[("name", "Taken")]), Account),
    row("passkey", "remove page",           Get,    "/account/passkeys/<id>/remove",                  &[Passkey], NONE, Account),
    row("passkey", "remove (form)",         Post,   "/account/passkeys/<id>/remove",                  &[Passkey], Form(&[]), Account),

    // ----- the club's own records, by id: admins only -----
    row("email", "resend",                  Post,   "/api/v1/admin/outbox/<id>/resend",               &[Outbox], EMPTY, Admin),
    row("email", "show its link",           Post,   "/api/v1/admin/outbox/<id>/link",                 &[Outbox], EMPTY, Admin),
    row("email", "resend (form)",           Post,   "/admin/outbox/<id>/resend",                      &[Outbox], Form(&[]), Admin),
    row("email", "show its link (form)",    Post,   "/admin/outbox/<id>/link",                        &[Outbox], Form(&[]), Admin),
    row("import", "preview",                Get,    "/api/v1/admin/members/import/<id>",              &[Import], NONE, Admin),
    row("import", "commit",                 Post,   "/api/v1/admin/members/import/<id>/commit",       &[Import], EMPTY, Admin),
    row("import", "preview page",           Get,    "/admin/members/import/<id>",                     &[Import], NONE, Admin),
    row("import", "commit (form)",          Post,   "/admin/members/import/<id>/commit",              &[Import], Form(&[]), Admin),
    row("backup", "download",               Get,    "/api/v1/admin/backups/<name>",                   &[Backup], NONE, Admin),
    row("backup", "download (page link)",   Get,    "/admin/backups/<name>",                          &[Backup], NONE, Admin),
    row("profile field", "change",          Put,    "/api/v1/admin/profile-fields/<id>",              &[Field], Json(r#"{"label": "Taken"}"#), Admin),
    row("profile field", "delete",          Delete, "/api/v1/admin/profile-fields/<id>",              &[Field], EMPTY, Admin),
    row("profile field", "edit page",       Get,    "/admin/profile-fields/<id>",                     &[Field], NONE, Admin),
    row("profile field", "change (form)",   Post,   "/admin/profile-fields/<id>",                     &[Field], Form(&[("label", "Taken"), ("kind", "text"), ("visibility", "members")]), Admin),
    row("profile field", "delete (form)",   Post,   "/admin/profile-fields/<id>/delete",              &[Field], Form(&[]), Admin),
];

/// Routes with a parameter in their path that are public by design: the parameter is itself
/// the secret (a long random token) or names something anyone may open, so there is no
/// victim's record to take by changing it.
#[rustfmt::skip]
const PUBLIC_BY_DESIGN: &[(Method, &str)] = &[
    // Static files.
    (Get,  "/assets/<path..>"),
    // The public card and the private calendar feed: the token in the address is the key.
    (Get,  "/api/v1/cards/<token>"),
    (Get,  "/cards/<token>"),
    (Get,  "/calendar/<file>"),
    // One-time links sent by email (setup, invitation, password reset and set, magic link):
    // the token is the credential, single-use and stored only as a hash.
    (Get,  "/api/v1/auth/invites/<token>"),
    (Get,  "/join/<token>"),
    (Post, "/join/<token>"),
    (Get,  "/reset/<token>"),
    (Post, "/reset/<token>"),
    (Get,  "/set-password/<token>"),
    (Post, "/set-password/<token>"),
    (Get,  "/auth/magic/<token>"),
    (Post, "/auth/magic/<token>"),
    (Get,  "/setup/<token>"),
    (Post, "/setup/<token>"),
    // An open exchange's public registration page, by its slug: open to anyone by design.
    (Get,  "/api/v1/exchanges/<slug>/register"),
    (Post, "/api/v1/exchanges/<slug>/register"),
    (Post, "/api/v1/exchanges/<slug>/request-access"),
    (Get,  "/exchange/<slug>/register"),
    (Post, "/exchange/<slug>/register"),
    (Get,  "/exchange/<slug>/registered"),
    (Post, "/exchange/<slug>/request-access"),
    // Joining an open exchange adds the signed-in person themselves, nobody else.
    (Post, "/api/v1/exchanges/<slug>/join"),
    (Post, "/exchange/<slug>/join"),
];

/// The text no attacker's answer may contain: it is in every record of the victim's.
const SECRET: &str = "Kestrel-7731";

/// The people and records the matrix attacks.
pub(crate) struct World {
    pub admin: Browser,
    victim: Browser,
    pal: i64,
    activity: i64,
    activity_type: i64,
    booking: i64,
    service: i64,
    copy: i64,
    notice: i64,
    group: i64,
    direct: i64,
    message: i64,
    exchange: i64,
    slug: String,
    participant: i64,
    pal_participant: i64,
    exclusion: i64,
    invite: i64,
    session: i64,
    token_family: String,
    passkey: i64,
    outbox: i64,
    import: String,
    backup: String,
    field: i64,
    past: chrono::DateTime<chrono::Utc>,
    close_date: String,
    exchange_date: String,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl World {
    pub async fn build(app: &TestApp) -> World {
        for (name, roles) in [
            ("admin", &[Role::Admin, Role::Member][..]),
            ("vic", &[Role::Member]),
            ("pal", &[Role::Member]),
            ("ned", &[Role::Member]),
            ("ona", &[Role::Member]),
            ("mal", &[Role::Member]),
            ("coco", &[Role::Coach, Role::Member]),
            ("gus", &[Role::Guest]),
        ] {
            app.create_user(name, roles).await;
        }
        let admin = Browser::signed_in(app, "admin").await;
        let victim = Browser::signed_in(app, "vic").await;
        let pal_browser = Browser::signed_in(app, "pal").await;
        let ned = Browser::signed_in(app, "ned").await;
        let ona = Browser::signed_in(app, "ona").await;
        let (vic, pal) = (victim.id(), pal_browser.id());
        let now = app.clock.now();
        let past = now - Duration::hours(3);
        let id_of = |v: serde_json::Value| v["id"].as_i64().unwrap_or_else(|| panic!("{v}"));

        // The club's records, made by the admin.
        admin.call_ok(app, Put, "/api/v1/admin/settings", json!({"direct_chat": true})).await;
        let body = json!({"key": "walk", "label": "Walk"});
        let activity_type =
            id_of(admin.call_ok(app, Post, "/api/v1/admin/activity-types", body).await);
        let body = json!({"name": "Lesson", "duration_minutes": 45});
        let service = id_of(admin.call_ok(app, Post, "/api/v1/admin/services", body).await);
        let body = json!({"key": "dog_name", "label": "Dog"});
        let field = id_of(admin.call_ok(app, Post, "/api/v1/admin/profile-fields", body).await);
        let body = json!({"email": "ivy@example.org"});
        let invite = admin.call_ok(app, Post, "/api/v1/admin/invites", body).await["invite_id"]
            .as_i64()
            .unwrap();
        let outbox = app
            .count_of("SELECT max(id) FROM email_outbox WHERE to_address = 'ivy@example.org'")
            .await;
        let csv = "email,first_name,last_name\nzed@example.org,Zed,Zimmer\n";
        let path = "/api/v1/admin/members/import?dry_run=true";
        let import = admin.call_ok(app, Post, path, json!({"csv": csv})).await["id"]
            .as_str()
            .unwrap()
            .to_string();

        // The victim's own records, each holding the secret.
        let body = json!({"started_at": rfc3339(past), "duration_minutes": 30, "type": "walk",
                          "format": "solo", "notes": SECRET});
        let activity = id_of(victim.call_ok(app, Post, "/api/v1/activities", body).await);
        let body = json!({"service_id": service, "notes": SECRET,
                          "requested_start": rfc3339(now + Duration::hours(48))});
        let booking = id_of(victim.call_ok(app, Post, "/api/v1/bookings", body).await);
        let body = json!({"subject": "Ice time", "body": "Thursday.", "to": {"member_ids": [vic]}});
        let notice = id_of(admin.call_ok(app, Post, "/api/v1/admin/messages", body).await);
        let copy = app
            .count_of(&format!(
                "SELECT id FROM notice_copies WHERE notice_id = {notice} AND user_id = {vic}"
            ))
            .await;
        let path = format!("/api/v1/messages/{copy}/reply");
        victim.call_ok(app, Post, &path, json!({"body": SECRET})).await;
        let body = json!({"name": "Vic and Pal", "member_ids": [vic, pal]});
        let group = id_of(admin.call_ok(app, Post, "/api/v1/conversations", body).await);
        let path = format!("/api/v1/conversations/{group}/messages");
        let message = id_of(victim.call_ok(app, Post, &path, json!({"content": SECRET})).await);
        let body = json!({"member_id": pal});
        let direct = id_of(victim.call_ok(app, Post, "/api/v1/conversations/direct", body).await);
        let path = format!("/api/v1/conversations/{direct}/messages");
        victim.call_ok(app, Post, &path, json!({"content": SECRET})).await;

        // A drawn gift exchange the victim takes part in.
        let close_date = (now + Duration::days(10)).format("%Y-%m-%d").to_string();
        let exchange_date = (now + Duration::days(20)).format("%Y-%m-%d").to_string();
        let body = json!({"name": "Winter", "description": "", "budget": "20 euros",
                          "registration_close_date": close_date, "exchange_date": exchange_date,
                          "timezone": "UTC"});
        let created = admin.call_ok(app, Post, "/api/v1/exchanges", body).await;
        let exchange = id_of(created.clone());
        let slug = created["slug"].as_str().unwrap().to_string();
        admin.call_ok(app, Post, &format!("/api/v1/exchanges/{exchange}/open"), json!({})).await;
        for person in [&victim, &pal_browser, &ned, &ona] {
            let path = format!("/api/v1/exchanges/{slug}/join");
            person.call_ok(app, Post, &path, json!({"gift_ideas": SECRET})).await;
        }
        let participant_of = |user: i64| {
            format!(
                "SELECT id FROM exchange_participants
                  WHERE exchange_id = {exchange} AND user_id = {user}"
            )
        };
        let participant = app.count_of(&participant_of(vic)).await;
        let pal_participant = app.count_of(&participant_of(pal)).await;
        let ned_p = app.count_of(&participant_of(ned.id())).await;
        let ona_p = app.count_of(&participant_of(ona.id())).await;
        admin.call_ok(app, Post, &format!("/api/v1/exchanges/{exchange}/close"), json!({})).await;
        let path = format!("/api/v1/exchanges/{exchange}/exclusions");
        let body = json!({"participant_a": ned_p, "participant_b": ona_p});
        let exclusion = id_of(admin.call_ok(app, Post, &path, body).await);
        let path = format!("/api/v1/exchanges/{exchange}/match");
        admin.call_ok(app, Post, &path, json!({"seed": 7})).await;

        // The victim's sign-ins: their browser's session and an API login.
        let anonymous = Browser::anonymous(app).await;
        let body = json!({"login": "vic", "password": PASSWORD});
        let tokens = anonymous.call_ok(app, Post, "/api/v1/auth/token", body).await;
        assert!(tokens["access_token"].is_string(), "{tokens}");
        forget_jar_session(app).await;
        let session = app.count_of(&format!("SELECT id FROM sessions WHERE user_id = {vic}")).await;
        let sql = format!("SELECT family FROM api_tokens WHERE user_id = {vic} LIMIT 1");
        let token_family: String =
            app.db().read(move |tx| Ok(tx.query_row(&sql, [], |r| r.get(0))?)).await.unwrap();
        // A passkey of the victim's, stored as registration leaves it. Nothing here checks a
        // signature, so the stored credential need not be a real one (and the club's address
        // need not be one passkeys work at).
        let passkey = app
            .db()
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO passkeys (user_id, credential_id, name, credential, created_at)
                     VALUES (?1, x'0102', ?2, '{}', 0)",
                    rusqlite::params![vic, format!("Phone {SECRET}")],
                )?;
                Ok(tx.last_insert_rowid())
            })
            .await
            .unwrap();

        // The start-up backup, once written.
        let mut backup = None;
        for _ in 0..400 {
            let list = admin.get_ok(app, "/api/v1/admin/backups").await;
            if let Some(name) = list["backups"][0]["name"].as_str() {
                backup = Some(name.to_string());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }

        World {
            admin,
            victim,
            pal,
            activity,
            activity_type,
            booking,
            service,
            copy,
            notice,
            group,
            direct,
            message,
            exchange,
            slug,
            participant,
            pal_participant,
            exclusion,
            invite,
            session,
            token_family,
            passkey,
            outbox,
            import,
            backup: backup.expect("a backup made at start-up"),
            field,
            past,
            close_date,
            exchange_date,
        }
    }

    /// Whom `Attacker` names: the attacker, or (logged out, nobody) the victim.
    fn attacker_id(&self, attacker: &Browser) -> i64 {
        attacker.user_id.unwrap_or(self.victim.id())
    }

    fn id(&self, obj: Obj, attacker: &Browser) -> String {
        match obj {
            Victim => self.victim.id().to_string(),
            Pal => self.pal.to_string(),
            Attacker => self.attacker_id(attacker).to_string(),
            Activity => self.activity.to_string(),
            ActivityType => self.activity_type.to_string(),
            Booking => self.booking.to_string(),
            Service => self.service.to_string(),
            Copy => self.copy.to_string(),
            Notice => self.notice.to_string(),
            Group => self.group.to_string(),
            Direct => self.direct.to_string(),
            Exchange => self.exchange.to_string(),
            Participant => self.participant.to_string(),
            Exclusion => self.exclusion.to_string(),
            Invite => self.invite.to_string(),
            Session => self.session.to_string(),
            TokenFamily => self.token_family.clone(),
            Passkey => self.passkey.to_string(),
            Outbox => self.outbox.to_string(),
            Import => self.import.clone(),
            Backup => self.backup.clone(),
            Field => self.field.to_string(),
        }
    }

    /// The path of `attempt` with its parameters filled in, in order.
    fn path(&self, attempt: &Attempt, attacker: &Browser) -> String {
        let mut path = attempt.path.to_string();
        for obj in attempt.ids {
            let start = path.find('<').unwrap_or_else(|| panic!("too many ids: {}", attempt.path));
            let end = path[start..].find('>').expect("a closing bracket") + start;
            path.replace_range(start..=end, &self.id(*obj, attacker));
        }
        assert!(!path.contains('<'), "ids missing for {}", attempt.path);
        path
    }

    /// Replaces `$name` in a body with the world's values (longer names first).
    fn fill(&self, text: &str, attacker: &Browser) -> String {
        [
            ("$pal_participant", self.pal_participant.to_string()),
            ("$participant", self.participant.to_string()),
            ("$past_local", self.past.format("%Y-%m-%dT%H:%M").to_string()),
            ("$past", rfc3339(self.past)),
            ("$close_date", self.close_date.clone()),
            ("$exchange_date", self.exchange_date.clone()),
            ("$victim", self.victim.id().to_string()),
            ("$attacker", self.attacker_id(attacker).to_string()),
            ("$message", self.message.to_string()),
        ]
        .iter()
        .fold(text.to_string(), |text, (name, value)| text.replace(name, value))
    }

    /// The path and form fields for posting to the route `method route` as `who`: the
    /// matrix row's when there is one, else placeholders for the parameters (the exchange's
    /// slug for `<slug>`) and no fields.
    pub fn form_for(
        &self,
        method: Method,
        route: &str,
        who: &Browser,
    ) -> (String, Vec<(String, String)>) {
        let found = MATRIX.iter().find(|a| a.method == method && route_path(a.path) == route);
        if let Some(attempt) = found {
            let fields = match self.payload(attempt.body, who) {
                Payload::Form { fields, .. } => fields,
                _ => Vec::new(),
            };
            return (self.path(attempt, who), fields);
        }
        let segments: Vec<String> = route
            .split('/')
            .map(|s| match s {
                "<slug>" => self.slug.clone(),
                s if s.starts_with('<') => "x".repeat(43),
                s => s.to_string(),
            })
            .collect();
        (segments.join("/"), Vec::new())
    }

    fn payload(&self, body: Body, attacker: &Browser) -> Payload {
        match body {
            Body::None => Payload::None,
            Body::Json(text) => Payload::Json(self.fill(text, attacker)),
            Body::Form(fields) => Payload::Form {
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), self.fill(v, attacker)))
                    .collect(),
                bare: false,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Member,
    Coach,
    Guest,
    LoggedOut,
}

/// What a refusal looks like: a status, or (a page without a session) the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Status(Status),
    Login,
}

fn expected(rule: Rule, who: Kind, api: bool) -> Refusal {
    let status = match (who, rule) {
        (Kind::LoggedOut, _) if api => Status::Unauthorized,
        (Kind::LoggedOut, _) => return Refusal::Login,
        (Kind::Guest, Account) => Status::NotFound,
        (Kind::Guest, _) => Status::Forbidden,
        (_, Owner | Account) => Status::NotFound,
        (_, Admin | ForOthers) => Status::Forbidden,
        (_, Smuggled) => Status::UnprocessableEntity,
    };
    Refusal::Status(status)
}

fn refused_as(reply: &Reply, refusal: Refusal) -> bool {
    match refusal {
        Refusal::Status(status) => reply.status == status,
        Refusal::Login => reply.sends_to_login(),
    }
}

#[rocket::async_test]
async fn no_one_but_the_owner_or_an_admin_can_touch_a_record_by_its_id() {
    let app = TestApp::spawn().await;
    let world = World::build(&app).await;
    let attackers = [
        (Kind::Member, Browser::signed_in(&app, "mal").await),
        (Kind::Coach, Browser::signed_in(&app, "coco").await),
        (Kind::Guest, Browser::signed_in(&app, "gus").await),
        (Kind::LoggedOut, Browser::anonymous(&app).await),
    ];
    settle(&app).await;
    let mut before = snapshot(&app).await;

    let mut failures = Vec::new();
    for attempt in MATRIX {
        for (kind, attacker) in &attackers {
            let path = world.path(attempt, attacker);
            let payload = world.payload(attempt.body, attacker);
            let reply = attacker.send(&app, attempt.method, &path, payload).await;
            let label = format!(
                "{} / {}: {} {path} as {} ({kind:?})",
                attempt.kind, attempt.verb, attempt.method, attacker.name
            );
            let refusal = expected(attempt.rule, *kind, is_api(attempt.path));
            if !refused_as(&reply, refusal) {
                let body: String = reply.body.chars().take(200).collect();
                failures.push(format!(
                    "{label}: expected {refusal:?}, got {} {:?} {body}",
                    reply.status, reply.location
                ));
            }
            if reply.body.contains(SECRET) {
                failures.push(format!("{label}: the answer shows the victim's data"));
            }
            settle(&app).await;
            let after = snapshot(&app).await;
            let changed = changes(&before, &after);
            if !changed.is_empty() {
                failures.push(format!("{label}: changed the database: {changed:?}"));
                before = after;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} attempts went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Control: each row that reads answers its rightful reader, so the refusals above were
    // about who asked, not a wrong id or path.
    for attempt in MATRIX.iter().filter(|a| a.method == Get) {
        let reader = if attempt.rule == Admin { &world.admin } else { &world.victim };
        let path = world.path(attempt, reader);
        let reply = reader.send(&app, Get, &path, Payload::None).await;
        let what = format!("{} / {}: {path} as {}", attempt.kind, attempt.verb, reader.name);
        assert_eq!(reply.status, Status::Ok, "{what}: {}", reply.body);
    }
}

/// The part of a path that routes match on: without the query.
fn route_path(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

#[rocket::async_test]
async fn every_route_with_an_id_in_its_path_is_in_the_matrix_or_public_by_design() {
    let app = TestApp::spawn().await;
    let routes = mounted_routes(&app);

    let covered = |method: Method, path: &str| {
        MATRIX.iter().any(|a| a.method == method && route_path(a.path) == path)
            || PUBLIC_BY_DESIGN.contains(&(method, path))
    };
    let missing: Vec<String> = routes
        .iter()
        .filter(|(method, path, _)| has_path_parameter(path) && !covered(*method, path))
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    assert!(missing.is_empty(), "routes with an id the matrix leaves out:\n{}", missing.join("\n"));

    // Every row and every allowed route is a real route, so none is refused for being unknown.
    let mounted =
        |method: Method, path: &str| routes.iter().any(|(m, p, _)| *m == method && p == path);
    for attempt in MATRIX {
        let path = route_path(attempt.path);
        assert!(mounted(attempt.method, path), "not mounted: {} {path}", attempt.method);
    }
    for (method, path) in PUBLIC_BY_DESIGN {
        assert!(mounted(*method, path), "not mounted: {method} {path}");
    }
}
