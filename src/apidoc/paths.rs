//! Every operation of the JSON API, grouped by tag in the order the docs page shows them.
//! A test compares this list with the routes the application mounts, so a route added
//! without its entry here (or an entry left behind) fails the build's tests.

use serde_json::json;

use super::spec::*;
use super::spec::{delete, get, patch, post, put};
use crate::accounts::model::{Role, UserStatus};
use crate::bookings::model::BookingStatus;
use crate::email::outbox::Status as OutboxStatus;

pub(crate) const TAGS: &[(&str, &str)] = &[
    ("Sign-in and accounts", "Logging in (session cookie, API tokens or a passkey), registering, recovering an account, and a member's own sessions and passkeys."),
    ("Invitations", "Invitation links an admin hands out, and the check a registration form makes first."),
    ("Membership", "Onboarding, the signed agreement, a member's own profile and the directory."),
    ("People (admin)", "The admin's member records: status, roles, access, import and export, deletion."),
    ("Club fields and agreement (admin)", "The questions members answer and the agreement they sign."),
    ("Activities", "The activity log: sessions members record, coaches' views and the admins' activity types."),
    ("Bookings", "Services members book, the admins' decisions, and the calendar feed."),
    ("Member card", "A member's card and the link that shares it."),
    ("Notices", "Notices from admins to members, and the replies to them."),
    ("Chat", "Group and one-to-one conversations."),
    ("Gift exchanges", "Secret-Santa exchanges: organizers' management, participants' own entry and the public registration link."),
    ("Admin", "Dashboard, club settings, the email outbox, the audit log and backups."),
    ("Real time", "The WebSocket carrying new chat messages and notices."),
    ("API description", "This document and its readable page."),
];

/// Every operation, in docs order.
pub(crate) fn all() -> Vec<Op> {
    [accounts(), invites(), membership(), people(), club(), activities()]
        .into_iter()
        .chain([bookings(), cards(), notices(), chat(), gifts(), admin(), realtime(), apidoc()])
        .flatten()
        .collect()
}

const CSV: &str = "text/csv";

/// A filter's values, or empty: a filter left empty (as a form leaves it) filters nothing.
fn or_empty(schema: serde_json::Value) -> serde_json::Value {
    json!({ "anyOf": [schema, { "type": "string", "maxLength": 0 }] })
}

fn date_or_empty() -> serde_json::Value {
    or_empty(date())
}

/// `pending` or `pending,confirmed`.
fn booking_statuses() -> serde_json::Value {
    let one = format!("({})", BookingStatus::ALL.map(BookingStatus::as_str).join("|"));
    or_empty(json!({ "type": "string", "pattern": format!("^{one}(,{one})*$") }))
}

fn accounts() -> Vec<Op> {
    let t = "Sign-in and accounts";
    vec![
        post("/api/v1/auth/login", "Log in with a password")
            .about("`login` is the username or the email address. Answers with the session cookie set, or with a second-factor challenge when the account (or the club) requires a login code. Unknown account and wrong password answer the same 401 `invalid_credentials`.")
            .json(r("LoginInput"))
            .ok(200, "Signed in (cookie set), or a second-factor challenge.", r("LoginAnswer"))
            .errors(&[401, 503])
            .limited(),
        post("/api/v1/auth/token", "Get API tokens with a password")
            .about("The same check as login, answered with a bearer access token and a refresh token instead of a cookie (or a second-factor challenge).")
            .json(r("LoginInput"))
            .ok(200, "Tokens, or a second-factor challenge.", r("LoginAnswer"))
            .errors(&[401, 503])
            .limited(),
        post("/api/v1/auth/login/verify", "Answer a second-factor challenge")
            .about("Send one answer the challenge's `methods` allow: `code` (authenticator app, or the emailed code for members without one), `recovery_code`, `password` (after an email link, for members without an app or a passkey), or `credential` (a passkey's assertion). A club that requires admins to hold an app or a passkey answers `enrolment_required` for an admin without one.")
            .json(r("VerifyInput"))
            .ok(200, "Signed in (cookie set) or tokens, as the first step asked; or the enrolment the club requires first.", r("LoginAnswer"))
            .errors(&[401])
            .limited(),
        post("/api/v1/auth/login/passkey", "Ask for a passkey as the second step")
            .about("For a challenge whose `methods` include `passkey`: the options for `navigator.credentials.get`. Send the assertion to `/api/v1/auth/login/verify` as `credential`.")
            .json(r("ChallengeInput"))
            .ok(200, "PublicKeyCredentialRequestOptions, as JSON.", json!({"type": "object"}))
            .limited(),
        post("/api/v1/auth/login/enrol", "Start the authenticator app set-up a sign-in waits for")
            .about("For a challenge answered `enrolment_required`. Each call makes a new secret; the last one counts.")
            .json(r("ChallengeInput"))
            .ok(200, "The secret, as a link for a QR code and as text.", r("AppEnrolmentView")),
        post("/api/v1/auth/login/enrol/confirm", "Confirm the app with its first code and finish signing in")
            .json(r("EnrolInput"))
            .ok(200, "Signed in (cookie set, or tokens), with recovery codes shown once.", r("EnrolledView"))
            .limited(),
        post("/api/v1/auth/refresh", "Trade a refresh token for a new token pair")
            .about("The old refresh token stops working; using it again revokes the whole token family.")
            .json(r("RefreshInput"))
            .ok(200, "A new pair.", r("TokenPair"))
            .errors(&[401])
            .limited(),
        get("/api/v1/auth/check", "Who this credential belongs to")
            .access(Access::SignedIn)
            .ok(200, "The signed-in account.", r("Check")),
        get("/api/v1/auth/session", "The current session, if any")
            .access(Access::Optional)
            .ok(200, "Signed in.", r("Session"))
            .ok(401, "Not signed in (`{\"logged_in\": false}`), or an invalid bearer token (the usual error body).", json!({ "anyOf": [r("LoggedOut"), r("Error")] })),
        post("/api/v1/auth/logout", "Log out")
            .about("Ends this session (or this API token family) on the server and clears the cookie.")
            .access(Access::SignedIn)
            .ok(200, "Logged out.", r("Message")),
        post("/api/v1/auth/register", "Register an account")
            .about("With an invite token, or without one while the club's registration is open. Signs the new account in (cookie set).")
            .json(r("RegisterInput"))
            .ok(201, "Registered and signed in.", r("Registered"))
            .ok(202, "Not registered: the address belongs to a gift exchange guest and no invitation was sent to it, so a personal invitation to finish registering (and take over the guest's account) was emailed to it. Not signed in.", r("Message"))
            .errors(&[403, 404, 409, 410, 503])
            .limited(),
        post("/api/v1/auth/claim/request", "Ask for a code to claim a pre-registered account")
            .about("Always the same answer, so it tells nothing about which addresses exist.")
            .json(r("EmailInput"))
            .ok(200, "A code is on its way if the account exists.", r("Message"))
            .errors(&[503])
            .limited(),
        post("/api/v1/auth/claim/complete", "Claim a pre-registered account")
            .about("Sets the password with the emailed code and signs in.")
            .json(r("ClaimInput"))
            .ok(200, "Claimed and signed in (cookie set), or a second-factor challenge.", r("LoginAnswer"))
            .errors(&[401, 503])
            .limited(),
        post("/api/v1/auth/magic-link", "Ask for a sign-in link")
            .about("Always the same answer.")
            .json(r("EmailInput"))
            .ok(200, "A link is on its way if the account exists.", r("Message"))
            .errors(&[503])
            .limited(),
        post("/api/v1/auth/magic-link/verify", "Sign in with a link or code")
            .about("Send `token` from the link, or `email` and `code`.")
            .json(r("MagicInput"))
            .ok(200, "Signed in (cookie set), or a second-factor challenge.", r("LoginAnswer"))
            .errors(&[401])
            .limited(),
        post("/api/v1/auth/password/forgot", "Ask for a password-reset link")
            .about("Always the same answer.")
            .json(r("EmailInput"))
            .ok(200, "A link is on its way if the address is registered.", r("Message"))
            .errors(&[503])
            .limited(),
        post("/api/v1/auth/password/reset", "Set a new password with a reset token")
            .about("Ends every session and API token of the account.")
            .json(r("ResetInput"))
            .ok(200, "Password reset.", r("Message"))
            .errors(&[401, 503])
            .limited(),
        post("/api/v1/auth/password/change", "Change the password")
            .about("Ends the account's other sessions and API tokens.")
            .access(Access::SignedIn)
            .json(r("ChangePasswordInput"))
            .ok(200, "Changed.", r("Message"))
            .errors(&[503]),
        get("/api/v1/auth/sessions", "List my sessions and API tokens")
            .access(Access::SignedIn)
            .ok(200, "Browser sessions and API token families; `current` marks this one.", r("Devices")),
        delete("/api/v1/auth/sessions/{id}", "End one of my sessions")
            .access(Access::SignedIn)
            .param(path_id("id", "The session's id, from GET /auth/sessions."))
            .ok(200, "Ended.", r("Message")),
        delete("/api/v1/auth/tokens/{family}", "Revoke one of my API token families")
            .access(Access::SignedIn)
            .param(path_text("family", "The family's id, from GET /auth/sessions."))
            .ok(200, "Revoked.", r("Message")),
        post("/api/v1/auth/sessions/revoke-all", "Log out everywhere")
            .about("Ends every session and API token of the account, this one included.")
            .access(Access::SignedIn)
            .ok(200, "Logged out everywhere.", r("Message")),
        get("/api/v1/auth/factors", "How I can sign in")
            .access(Access::SignedIn)
            .ok(200, "The authenticator app, passkeys, recovery codes and what the club requires.", r("FactorsView")),
        post("/api/v1/auth/authenticator", "Start setting up an authenticator app")
            .about("A new secret; an unfinished set-up is replaced. Confirm it with the app's first code.")
            .access(Access::SignedIn)
            .ok(201, "The secret, as a link for a QR code and as text.", r("AppEnrolmentView"))
            .errors(&[409]),
        post("/api/v1/auth/authenticator/confirm", "Confirm the authenticator app with its first code")
            .about("The first app of an account comes with ten recovery codes, shown once.")
            .access(Access::SignedIn)
            .json(r("CodeInput"))
            .ok(200, "Set up.", r("RecoveryCodesView"))
            .errors(&[409]),
        delete("/api/v1/auth/authenticator", "Remove my authenticator app")
            .access(Access::SignedIn)
            .answer(204, "Removed.", None)
            .errors(&[404]),
        post("/api/v1/auth/recovery-codes", "Make new recovery codes")
            .about("The old ones stop working. Only for accounts with an authenticator app or a passkey.")
            .access(Access::SignedIn)
            .ok(200, "Ten new codes, shown once.", r("RecoveryCodesView"))
            .errors(&[409]),
        post("/api/v1/auth/passkeys/registration", "Start adding a passkey")
            .about("Answers the options for `navigator.credentials.create()` (a discoverable credential with user verification, excluding the passkeys the account has) and a ceremony token to finish with, valid once for six minutes. Starting again retires the registration started before. 403 `passkeys_unavailable` when the server's address (`base_url`) cannot have passkeys: it must be a domain on HTTPS, or localhost.")
            .access(Access::SignedIn)
            .ok(200, "The options and the ceremony token.", r("PasskeyCeremony"))
            .errors(&[403]),
        post("/api/v1/auth/passkeys", "Finish adding a passkey")
            .about("Send the ceremony token, a name (1 to 60 characters) and what the browser made. A credential that fails the checks (another origin, no user verification, a wrong challenge) is a 422 on `credential`; an unknown, expired or used ceremony a 400 `ceremony_expired`.")
            .access(Access::SignedIn)
            .json(r("NewPasskeyInput"))
            .ok(201, "Added.", r("Passkey"))
            .errors(&[403, 409]),
        get("/api/v1/auth/passkeys", "List my passkeys")
            .access(Access::SignedIn)
            .ok(200, "Oldest first.", r("Passkeys")),
        patch("/api/v1/auth/passkeys/{id}", "Rename one of my passkeys")
            .access(Access::SignedIn)
            .param(path_id("id", "The passkey's id, from GET /auth/passkeys."))
            .json(r("PasskeyNameInput"))
            .ok(200, "Renamed.", r("Passkey")),
        delete("/api/v1/auth/passkeys/{id}", "Remove one of my passkeys")
            .about("It no longer signs anyone in.")
            .access(Access::SignedIn)
            .param(path_id("id", "The passkey's id, from GET /auth/passkeys."))
            .ok(200, "Removed.", r("Message")),
        post("/api/v1/auth/passkey-login/start", "Start signing in with a passkey")
            .about("Answers the options for `navigator.credentials.get()`, naming no account (the authenticator offers the passkeys it holds for this site) and requiring user verification, and a ceremony token valid once for six minutes. 403 `passkeys_unavailable` when the server's address cannot have passkeys.")
            .ok(200, "The options and the ceremony token.", r("PasskeyCeremony"))
            .errors(&[403])
            .limited(),
        post("/api/v1/auth/passkey-login", "Sign in with a passkey")
            .about("Send the ceremony token and what the browser made. A verified passkey is two factors in itself: no second step follows. `grant` chooses a session cookie (the default) or API tokens. 400 `ceremony_expired` for an unknown, expired or used ceremony; 401 `passkey_refused` for an answer that does not hold up (unknown or removed passkey, another origin, a bad signature, a counter that went back); 403 `account_disabled`.")
            .json(r("PasskeyLoginInput"))
            .ok(200, "Signed in (cookie set), or tokens.", r("LoginAnswer"))
            .errors(&[401, 403])
            .limited(),
        put("/api/v1/auth/two-factor", "Turn login codes on or off")
            .access(Access::SignedIn)
            .json(r("TwoFactorInput"))
            .ok(200, "Saved.", r("Message"))
            .errors(&[409]),
        post("/api/v1/auth/guest", "Start a guest session")
            .about("A password-less guest account, while the club allows guests.")
            .json(r("GuestInput"))
            .ok(201, "Signed in as a guest (cookie set).", r("Message"))
            .errors(&[403])
            .limited(),
        post("/api/v1/admin/members", "Pre-register a member")
            .about("Creates an `invited` account without a password; the member claims it with a code sent to the address.")
            .access(Access::Admin)
            .json(r("NewMemberInput"))
            .ok(201, "Created.", r("CreatedMember"))
            .errors(&[409]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn invites() -> Vec<Op> {
    let t = "Invitations";
    vec![
        post("/api/v1/admin/invites", "Create an invitation")
            .about("A personal invitation (with `email`, sent at once) or a link for several people (`max_uses`).")
            .access(Access::Admin)
            .json(r("InviteInput"))
            .ok(201, "Created; `invite_url` is shown once.", r("CreatedInvite"))
            .errors(&[409]),
        get("/api/v1/admin/invites", "List invitations")
            .access(Access::Admin)
            .ok(200, "Every invitation, newest first.", array(r("Invite"))),
        post("/api/v1/admin/invites/{id}/resend", "Renew an invitation's link")
            .about("A fresh link (and email, for a personal invitation); the previous link stops working.")
            .access(Access::Admin)
            .param(path_id("id", "The invitation."))
            .ok(200, "The new link.", r("CreatedInvite"))
            .errors(&[409]),
        post("/api/v1/admin/invites/{id}/revoke", "Revoke an invitation")
            .access(Access::Admin)
            .param(path_id("id", "The invitation."))
            .ok(200, "Revoked.", r("Invite"))
            .errors(&[409]),
        get("/api/v1/auth/invites/{token}", "Check an invitation before registering")
            .param(path_text("token", "The token from the invitation link."))
            .ok(200, "What the invitation grants.", r("InvitePreflight"))
            .errors(&[403]),
        get("/api/v1/auth/invites", "Check whether registration without an invitation is open")
            .ok(200, "Registration is open: what it grants.", r("InvitePreflight"))
            .errors(&[403]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn membership() -> Vec<Op> {
    let t = "Membership";
    vec![
        get("/api/v1/onboarding", "Where my onboarding stands")
            .access(Access::SignedIn)
            .ok(200, "What is still missing, the agreement to sign, and the profile.", r("Onboarding")),
        put("/api/v1/onboarding", "Fill in my profile while joining")
            .about("Only the fields sent change; `null` clears one. Completes onboarding once nothing required is missing.")
            .access(Access::SignedIn)
            .json(r("ProfileInput"))
            .ok(200, "Where onboarding stands now.", r("Onboarding"))
            .errors(&[409]),
        post("/api/v1/onboarding/agreement", "Sign the club's agreement")
            .about("`full_name` as typed by the member, `accept: true`, and the `version` read (a newer version published meanwhile is a 409).")
            .access(Access::SignedIn)
            .json(r("SignInput"))
            .ok(200, "Where onboarding stands now.", r("Onboarding"))
            .errors(&[409]),
        get("/api/v1/me", "My profile")
            .access(Access::Member)
            .ok(200, "The profile.", r("Profile")),
        put("/api/v1/me", "Change my profile")
            .about("Only the fields sent change; `null` clears one.")
            .access(Access::Member)
            .json(r("ProfileInput"))
            .ok(200, "The profile after the change.", r("Profile")),
        get("/api/v1/directory", "The member directory")
            .about("Active members, with what each chose to share.")
            .access(Access::Member)
            .param(query("q", string(), "Words to look for in names, usernames and cities."))
            .param(page())
            .param(per_page(100))
            .ok(200, "A page of the directory (50 entries unless `per_page` says otherwise).", r("DirectoryList")),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn people() -> Vec<Op> {
    let t = "People (admin)";
    let list_query = |op: Op| {
        op.param(query("q", string(), "Words to look for in names, usernames and email addresses."))
            .param(query("role", or_empty(one_of_strings(&Role::ALL.map(Role::as_str))), "Only people with this role."))
            .param(query("status", or_empty(one_of_strings(&UserStatus::ALL.map(UserStatus::as_str))), "Only people with this status."))
            .param(query("sort", or_empty(json!({ "type": "string", "pattern": "^-?(name|email|status|joined|member_since|last_login)$" })), "A column (`name`, `email`, `status`, `joined`, `member_since`, `last_login`), `-` first for the reverse order; by name when empty."))
    };
    let import = Body {
        required: true,
        content: vec![
            ("application/json", r("CsvInput")),
            (
                "text/csv",
                json!({ "type": "string", "description": "Columns email, first_name, last_name, phone, roles; a header row first." }),
            ),
        ],
    };
    vec![
        list_query(get("/api/v1/admin/members", "List people"))
            .access(Access::Admin)
            .param(page())
            .ok(200, "A page of people (50 a page).", array(r("PersonSummary")))
            .headers(&[
                ("X-Total-Count", "How many people match."),
                ("X-Page-Count", "How many pages they fill."),
                ("Link", "First, last, previous and next pages (RFC 8288)."),
            ]),
        list_query(get("/api/v1/admin/members/export.csv", "Export people as CSV"))
            .about("The list's filter and order, without paging.")
            .access(Access::Admin)
            .answer(200, "A CSV file to save.", Some((CSV, string())))
            .headers(&[("Content-Disposition", "`attachment` with a file name.")]),
        post("/api/v1/admin/members/import", "Import people from CSV")
            .about("Send the file as `text/csv` (bearer-token clients) or as JSON `{\"csv\": \"...\"}` (any client). A dry run, the default, stores the import and answers its preview with the id to commit; `dry_run=false` creates the valid new rows at once.")
            .access(Access::Admin)
            .param(query("dry_run", one_of_strings(&["true", "false", "1", "0", "yes", "no"]), "Check only (the default) or create the members."))
            .param(query("send_invites", one_of_strings(&["true", "false", "1", "0", "yes", "no"]), "Email each new member a claim code (off unless asked)."))
            .body(import)
            .ok(200, "The dry run's preview.", r("ImportPreview"))
            .ok(201, "Members created.", r("ImportResult")),
        get("/api/v1/admin/members/import/{id}", "A stored import, checked again")
            .access(Access::Admin)
            .param(path_text("id", "The import's id, from the dry run."))
            .ok(200, "The preview, with its result once committed.", r("ImportPreview"))
            .errors(&[410]),
        post("/api/v1/admin/members/import/{id}/commit", "Commit a stored import")
            .about("Creates the valid new rows; a second commit answers the same result with `already_committed`.")
            .access(Access::Admin)
            .param(path_text("id", "The import's id, from the dry run."))
            .optional_json(r("CommitInput"))
            .ok(200, "What was created.", r("ImportResult"))
            .errors(&[409, 410]),
        get("/api/v1/admin/members/{id}", "A member's record")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .ok(200, "Profile, status timeline, signatures and account.", r("MemberDetail")),
        post("/api/v1/admin/members/{id}/activate", "Activate a member")
            .about("Optional body `{\"note\"}`, kept in the timeline.")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .optional_json(r("StatusNoteInput"))
            .ok(200, "The record after.", r("MemberDetail"))
            .errors(&[409]),
        post("/api/v1/admin/members/{id}/disable", "Disable a member")
            .about("Ends their sessions, tokens and sockets. Not your own account.")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .optional_json(r("StatusNoteInput"))
            .ok(200, "The record after.", r("MemberDetail"))
            .errors(&[409]),
        post("/api/v1/admin/members/{id}/enable", "Enable a disabled member")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .optional_json(r("StatusNoteInput"))
            .ok(200, "The record after.", r("MemberDetail"))
            .errors(&[409]),
        put("/api/v1/admin/members/{id}/roles", "Set a member's roles")
            .about("Refused (409) when it would take the admin role from the last admin.")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .json(r("RolesInput"))
            .ok(200, "The record after.", r("MemberDetail"))
            .errors(&[409]),
        delete("/api/v1/admin/members/{id}/sessions", "Sign a member out everywhere")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .ok(200, "How many sessions and API logins ended.", r("SessionsEnded")),
        post("/api/v1/admin/members/{id}/two-factor/reset", "Turn a member's login codes off")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .ok(200, "The record after.", r("MemberDetail"))
            .errors(&[409]),
        post("/api/v1/admin/members/{id}/access", "Send a member a way in")
            .about("`kind`: `claim_code` (an account never claimed) or `set_password`.")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .json(r("AccessInput"))
            .ok(202, "Queued for sending.", r("AccessSent"))
            .errors(&[409]),
        get("/api/v1/admin/members/{id}/deletion", "What deleting a member removes")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .ok(200, "Rows deleted and kept, and why deletion is refused, if it is.", r("Deletion")),
        delete("/api/v1/admin/members/{id}", "Delete a member's account")
            .about("Confirm with the member's username. Not your own account, nor the last admin.")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .json(r("DeleteMemberInput"))
            .ok(200, "Deleted.", r("DeletedMember"))
            .errors(&[409]),
        put("/api/v1/admin/members/{id}/organizer", "Grant or take the organizer right")
            .access(Access::Admin)
            .param(path_id("id", "The member's user id."))
            .json(r("OrganizerInput"))
            .ok(200, "The member's roles after.", r("Organizer"))
            .errors(&[409]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn club() -> Vec<Op> {
    let t = "Club fields and agreement (admin)";
    vec![
        get("/api/v1/admin/profile-fields", "List the club's profile fields")
            .access(Access::Admin)
            .ok(200, "In display order.", array(r("ProfileField"))),
        post("/api/v1/admin/profile-fields", "Add a profile field")
            .access(Access::Admin)
            .json(r("FieldInput"))
            .ok(201, "Added.", r("ProfileField"))
            .errors(&[409]),
        put("/api/v1/admin/profile-fields/{id}", "Change a profile field")
            .access(Access::Admin)
            .param(path_id("id", "The field."))
            .json(r("FieldInput"))
            .ok(200, "The field after.", r("ProfileField"))
            .errors(&[409]),
        delete("/api/v1/admin/profile-fields/{id}", "Remove a profile field and its answers")
            .access(Access::Admin)
            .param(path_id("id", "The field."))
            .answer(204, "Removed.", None),
        get("/api/v1/admin/agreement", "The agreement and its versions").access(Access::Admin).ok(
            200,
            "The current version (if any) and every version.",
            r("AgreementAdmin"),
        ),
        put("/api/v1/admin/agreement", "Publish a new agreement version")
            .about("Members who signed an earlier version are asked to sign again.")
            .access(Access::Admin)
            .json(r("AgreementInput"))
            .ok(201, "Published.", r("AgreementAdmin")),
        delete("/api/v1/admin/agreement", "Retire the current agreement")
            .access(Access::Admin)
            .ok(200, "No version is current any more.", r("AgreementAdmin"))
            .errors(&[409]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn activities() -> Vec<Op> {
    let t = "Activities";
    let filters = |op: Op| {
        op.param(query(
            "from",
            date_or_empty(),
            "First day (`YYYY-MM-DD`, in the member's time zone); empty for no limit.",
        ))
        .param(query("to", date_or_empty(), "Last day, included; empty for no limit."))
        .param(query("type", string(), "An activity type's key."))
        .param(query(
            "member_id",
            json!({ "type": "integer", "minimum": 1, "maximum": i64::MAX }),
            "Whose log (yourself unless you coach them or are an admin).",
        ))
    };
    vec![
        post("/api/v1/activities", "Record an activity")
            .about("For yourself, or (`member_id`) a member you coach; admins for anyone. `started_at` is RFC 3339.")
            .access(Access::Member)
            .json(r("ActivityInput"))
            .ok(201, "Recorded.", r("Activity")),
        filters(get("/api/v1/activities", "List activities"))
            .access(Access::Member)
            .param(page())
            .param(per_page(100))
            .ok(200, "A page of the log, newest first, with totals.", r("ActivityList"))
            .errors(&[404]),
        filters(get("/api/v1/activities/export.csv", "Export activities as CSV"))
            .access(Access::Member)
            .answer(200, "A CSV file to save.", Some((CSV, string())))
            .headers(&[("Content-Disposition", "`attachment` with a file name.")])
            .errors(&[404]),
        get("/api/v1/activities/{id}", "One activity")
            .access(Access::Member)
            .param(path_id("id", "The activity."))
            .ok(200, "The activity.", r("Activity")),
        put("/api/v1/activities/{id}", "Change an activity")
            .about("Replaces every field (the body of create).")
            .access(Access::Member)
            .param(path_id("id", "The activity."))
            .json(r("ActivityInput"))
            .ok(200, "The activity after.", r("Activity")),
        delete("/api/v1/activities/{id}", "Delete an activity")
            .access(Access::Member)
            .param(path_id("id", "The activity."))
            .ok(200, "Deleted.", r("Deleted")),
        get("/api/v1/activity-types", "Activity types a member can choose")
            .access(Access::Member)
            .ok(200, "Types not archived, in order.", array(r("ActivityType"))),
        get("/api/v1/coach/members", "The members I coach")
            .access(Access::Member)
            .ok(200, "With their totals and last activity.", r("CoachedMembers")),
        filters(get("/api/v1/admin/activities/export.csv", "Export every member's activities as CSV"))
            .access(Access::Admin)
            .answer(200, "A CSV file to save.", Some((CSV, string())))
            .headers(&[("Content-Disposition", "`attachment` with a file name.")]),
        get("/api/v1/admin/activity-types", "List activity types with their use")
            .access(Access::Organizer)
            .ok(200, "Every type, archived ones too.", array(r("AdminActivityType"))),
        post("/api/v1/admin/activity-types", "Add an activity type")
            .access(Access::Organizer)
            .json(r("NewTypeInput"))
            .ok(201, "Added.", r("AdminActivityType"))
            .errors(&[409]),
        put("/api/v1/admin/activity-types/{id}", "Rename, reorder, archive or restore a type")
            .access(Access::Organizer)
            .param(path_id("id", "The type."))
            .json(r("TypeChangeInput"))
            .ok(200, "The type after.", r("AdminActivityType")),
        delete("/api/v1/admin/activity-types/{id}", "Remove an activity type")
            .about("Deletes a type never used; archives one that was.")
            .access(Access::Organizer)
            .param(path_id("id", "The type."))
            .ok(200, "Which of the two happened.", r("TypeRemoval")),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn bookings() -> Vec<Op> {
    let t = "Bookings";
    vec![
        get("/api/v1/services", "Services a member can book").access(Access::Member).ok(
            200,
            "Services not archived.",
            array(r("Service")),
        ),
        get("/api/v1/admin/services", "List services").access(Access::Admin).ok(
            200,
            "Every service, with its number of bookings.",
            array(r("Service")),
        ),
        post("/api/v1/admin/services", "Add a service")
            .access(Access::Admin)
            .json(r("ServiceInput"))
            .ok(201, "Added.", r("Service")),
        put("/api/v1/admin/services/{id}", "Change a service")
            .access(Access::Admin)
            .param(path_id("id", "The service."))
            .json(r("ServiceInput"))
            .ok(200, "The service after.", r("Service")),
        delete("/api/v1/admin/services/{id}", "Remove a service")
            .about("Deletes a service never booked; archives one that was.")
            .access(Access::Admin)
            .param(path_id("id", "The service."))
            .ok(200, "Which of the two happened.", r("RemovedService")),
        post("/api/v1/bookings", "Request a booking")
            .about("`requested_start` is RFC 3339 and in the future.")
            .access(Access::Member)
            .json(r("BookingInput"))
            .ok(201, "Requested; an admin confirms or declines it.", r("Booking"))
            .errors(&[409]),
        get("/api/v1/bookings", "My bookings")
            .access(Access::Member)
            .param(query(
                "status",
                booking_statuses(),
                "Only bookings in these states: one, or several separated by commas.",
            ))
            .ok(200, "Newest first.", array(r("Booking"))),
        get("/api/v1/bookings/{id}", "One of my bookings")
            .access(Access::Member)
            .param(path_id("id", "The booking."))
            .ok(200, "The booking.", r("Booking")),
        post("/api/v1/bookings/{id}/cancel", "Cancel one of my bookings")
            .access(Access::Member)
            .param(path_id("id", "The booking."))
            .ok(200, "Cancelled.", r("Booking"))
            .errors(&[409]),
        get("/api/v1/admin/bookings", "Every member's bookings")
            .access(Access::Admin)
            .param(query(
                "status",
                booking_statuses(),
                "Only bookings in these states: one, or several separated by commas.",
            ))
            .param(query(
                "from",
                date_or_empty(),
                "First day (`YYYY-MM-DD`, club time zone); empty for no limit.",
            ))
            .param(query("to", date_or_empty(), "Last day, included; empty for no limit."))
            .ok(200, "With the member of each.", array(r("Booking"))),
        post("/api/v1/admin/bookings/{id}/confirm", "Confirm a booking")
            .access(Access::Admin)
            .param(path_id("id", "The booking."))
            .json(r("DecisionInput"))
            .ok(200, "Confirmed; the member is emailed.", r("Booking"))
            .errors(&[409]),
        post("/api/v1/admin/bookings/{id}/decline", "Decline a booking")
            .access(Access::Admin)
            .param(path_id("id", "The booking."))
            .json(r("DecisionInput"))
            .ok(200, "Declined; the member is emailed.", r("Booking"))
            .errors(&[409]),
        post("/api/v1/admin/bookings/{id}/complete", "Mark a booking done")
            .about("Records it in the member's activity log.")
            .access(Access::Admin)
            .param(path_id("id", "The booking."))
            .json(r("CompleteInput"))
            .ok(200, "Completed, with the activity's id.", r("Booking"))
            .errors(&[409]),
        get("/api/v1/calendar-feed", "My calendar feed address").access(Access::Member).ok(
            200,
            "The address, or nulls when there is none.",
            r("Feed"),
        ),
        post("/api/v1/calendar-feed", "Create my calendar feed address")
            .access(Access::Member)
            .ok(201, "Created.", r("Feed"))
            .ok(200, "The address you already have.", r("Feed")),
        delete("/api/v1/calendar-feed", "Revoke my calendar feed address")
            .access(Access::Member)
            .ok(200, "Revoked: the old address stops working.", r("Feed")),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn cards() -> Vec<Op> {
    let t = "Member card";
    vec![
        get("/api/v1/card", "My card").access(Access::Member).ok(
            200,
            "The card, and whether (and where) it is shared.",
            r("OwnCard"),
        ),
        post("/api/v1/card/share", "Share my card")
            .about("The same link on every call until it is revoked.")
            .access(Access::Member)
            .ok(200, "The link.", r("Shared")),
        delete("/api/v1/card/share", "Stop sharing my card").access(Access::Member).ok(
            200,
            "The old link stops working.",
            r("Status"),
        ),
        put("/api/v1/card/contact-preference", "How I prefer to be contacted")
            .about("`email`, `text`, `phone`, `social`, or null (or empty) for none.")
            .access(Access::Member)
            .json(r("ContactPreferenceInput"))
            .ok(200, "Saved.", r("ContactPreference")),
        get("/api/v1/cards/{token}", "A shared card")
            .about("For anyone with the link; search engines are asked not to index it.")
            .param(path_uuid("token", "The token from the card's link."))
            .ok(200, "The card.", r("Card"))
            .errors(&[400])
            .headers(&[("X-Robots-Tag", "`noindex`.")]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn notices() -> Vec<Op> {
    let t = "Notices";
    vec![
        get("/api/v1/messages", "My notices")
            .access(Access::Member)
            .param(page())
            .param(per_page(100))
            .ok(200, "A page of notices, newest first, and how many are unread.", r("NoticeList")),
        get("/api/v1/messages/settings", "My notice settings").access(Access::Member).ok(
            200,
            "Whether notices are also emailed.",
            r("NoticeSettings"),
        ),
        put("/api/v1/messages/settings", "Change my notice settings")
            .access(Access::Member)
            .json(r("NoticeSettingsInput"))
            .ok(200, "Saved.", r("NoticeSettings")),
        get("/api/v1/messages/{id}", "One notice and its thread")
            .access(Access::Member)
            .param(path_id("id", "My copy of the notice."))
            .ok(200, "The notice, its body and the replies.", r("NoticeDetail")),
        put("/api/v1/messages/{id}/read", "Mark a notice read")
            .access(Access::Member)
            .param(path_id("id", "My copy of the notice."))
            .ok(200, "The notice after.", r("Notice")),
        delete("/api/v1/messages/{id}", "Delete a notice from my inbox")
            .access(Access::Member)
            .param(path_id("id", "My copy of the notice."))
            .ok(200, "Deleted.", r("NoticeDeleted")),
        post("/api/v1/messages/{id}/reply", "Reply to a notice")
            .about("Only the admins see the reply.")
            .access(Access::Member)
            .param(path_id("id", "My copy of the notice."))
            .json(r("ReplyInput"))
            .ok(201, "Sent.", r("Reply")),
        post("/api/v1/admin/messages", "Send a notice")
            .access(Access::Admin)
            .json(r("NoticeInput"))
            .ok(
                201,
                "Sent (and emailed to those who want it, when `email` is not false).",
                r("SentNotice"),
            ),
        get("/api/v1/admin/messages", "Notices sent")
            .access(Access::Admin)
            .param(page())
            .param(per_page(100))
            .ok(200, "A page of sent notices with their counts.", r("SentList")),
        get("/api/v1/admin/messages/{id}", "One sent notice, per recipient")
            .about("Marks the members' replies it shows as read by the admins.")
            .access(Access::Admin)
            .param(path_id("id", "The notice."))
            .ok(200, "The notice and each recipient's copy and thread.", r("SentNoticeDetail")),
        post("/api/v1/admin/messages/{id}/recipients/{user_id}/reply", "Reply to one recipient")
            .access(Access::Admin)
            .param(path_id("id", "The notice."))
            .param(path_id("user_id", "The recipient."))
            .json(r("ReplyInput"))
            .ok(201, "Sent.", r("Reply")),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn chat() -> Vec<Op> {
    let t = "Chat";
    let id = || path_id("id", "The conversation.");
    vec![
        get("/api/v1/conversations", "My conversations")
            .access(Access::Member)
            .param(query(
                "all",
                json!({ "type": "boolean" }),
                "Admins: also groups they are not in.",
            ))
            .ok(200, "Most recent activity first.", array(r("ConversationSummary"))),
        post("/api/v1/conversations", "Start a group")
            .access(Access::Member)
            .json(r("GroupInput"))
            .ok(201, "Created; you own it.", r("Conversation")),
        post("/api/v1/conversations/direct", "Start a one-to-one chat")
            .about("While the club allows direct chats.")
            .access(Access::Member)
            .json(r("DirectInput"))
            .ok(201, "Created.", r("Conversation"))
            .ok(200, "The conversation the pair already has.", r("Conversation")),
        get("/api/v1/conversations/{id}", "One conversation")
            .access(Access::Member)
            .param(id())
            .ok(200, "With its members and what you may do.", r("Conversation")),
        patch("/api/v1/conversations/{id}", "Rename a group or change its description")
            .access(Access::Member)
            .param(id())
            .json(r("RenameInput"))
            .ok(200, "The group after.", r("Conversation"))
            .errors(&[409]),
        post("/api/v1/conversations/{id}/members", "Add members to a group")
            .access(Access::Member)
            .param(id())
            .json(r("MembersInput"))
            .ok(200, "The group after.", r("Conversation"))
            .errors(&[409]),
        delete("/api/v1/conversations/{id}/members/{user_id}", "Remove a member from a group")
            .access(Access::Member)
            .param(id())
            .param(path_id("user_id", "The member to remove."))
            .ok(200, "The group after.", r("Conversation"))
            .errors(&[409]),
        post("/api/v1/conversations/{id}/leave", "Leave a group")
            .access(Access::Member)
            .param(id())
            .ok(200, "Left.", r("Left"))
            .errors(&[409]),
        get("/api/v1/conversations/{id}/messages", "A page of messages")
            .about("Reading the newest page moves your read marker.")
            .access(Access::Member)
            .param(id())
            .param(query(
                "before",
                json!({ "type": "integer", "minimum": 1, "maximum": i64::MAX }),
                "Messages older than this id.",
            ))
            .param(query(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 200 }),
                "How many (50 unless asked).",
            ))
            .ok(200, "Oldest first; `next_before` pages back.", r("History")),
        post("/api/v1/conversations/{id}/messages", "Post a message")
            .access(Access::Member)
            .param(id())
            .json(r("MessageInput"))
            .ok(201, "Stored and sent to the members' sockets.", r("ChatMessage"))
            .errors(&[409])
            .limited(),
        put("/api/v1/conversations/{id}/read", "Move my read marker")
            .access(Access::Member)
            .param(id())
            .json(r("ReadInput"))
            .ok(200, "The marker after.", r("ReadMarker")),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn gifts() -> Vec<Op> {
    let t = "Gift exchanges";
    let id = || path_id("id", "The exchange.");
    let slug = || path_text("slug", "The exchange's public name, from its registration link.");
    let matched = |op: Op| {
        op.access(Access::Organizer)
            .param(id())
            .json(r("ActionInput"))
            .ok(200, "Matched; every participant is emailed whom they give to.", r("Exchange"))
            .ok(409, "No cycle is possible (`no_match_possible`, with the reason and a fix), or the exchange is not in a state that allows it (the usual error body).", json!({ "anyOf": [r("NoMatch"), r("Error")] }))
    };
    vec![
        get("/api/v1/exchanges", "List exchanges")
            .access(Access::Organizer)
            .ok(200, "Grouped by state.", r("ExchangeList")),
        post("/api/v1/exchanges", "Create an exchange")
            .about("Dates are `YYYY-MM-DD`; the time zone defaults to the club's.")
            .access(Access::Organizer)
            .json(r("ExchangeInput"))
            .ok(201, "Created, as a draft.", r("Exchange")),
        get("/api/v1/exchanges/mine", "Exchanges I take part in")
            .access(Access::SignedIn)
            .ok(200, "Each with my entry and, once matched, my assignment.", array(r("MyExchange"))),
        get("/api/v1/exchanges/notifications", "Club-wide notice preferences")
            .access(Access::Organizer)
            .ok(200, "Which events email the organizers.", r("NotifyPrefs")),
        put("/api/v1/exchanges/notifications", "Change the club-wide notice preferences")
            .access(Access::Organizer)
            .json(r("NotificationsInput"))
            .ok(200, "Saved.", r("NotifyPrefs")),
        get("/api/v1/exchanges/{id}", "One exchange")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The exchange and the actions its state allows.", r("Exchange")),
        put("/api/v1/exchanges/{id}", "Change an exchange")
            .about("Replaces the whole exchange (the body of create); not once it is matched.")
            .access(Access::Organizer)
            .param(id())
            .json(r("ExchangeInput"))
            .ok(200, "The exchange after.", r("Exchange"))
            .errors(&[409]),
        delete("/api/v1/exchanges/{id}", "Delete an exchange")
            .about("Confirm with `{\"confirm\": \"DELETE\"}`.")
            .access(Access::Organizer)
            .param(id())
            .json(r("ExchangeDeleteInput"))
            .ok(200, "Deleted.", r("ExchangeMessage")),
        post("/api/v1/exchanges/{id}/open", "Open registration")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The exchange after.", r("Exchange"))
            .errors(&[409]),
        post("/api/v1/exchanges/{id}/close", "Close registration")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The exchange after.", r("Exchange"))
            .errors(&[409]),
        post("/api/v1/exchanges/{id}/reopen", "Reopen registration")
            .about("`{}` from registration_closed; `{\"confirm\": true}` from matched (the matches are dropped).")
            .access(Access::Organizer)
            .param(id())
            .json(r("ActionInput"))
            .ok(200, "The exchange after.", r("Exchange"))
            .errors(&[409]),
        matched(post("/api/v1/exchanges/{id}/match", "Draw the matches"))
            .about("`{}`, or `{\"seed\": 42}` for a reproducible draw."),
        matched(post("/api/v1/exchanges/{id}/rematch", "Draw the matches again"))
            .about("`{\"confirm\": true}` (and optionally `seed`)."),
        post("/api/v1/exchanges/{id}/complete", "Mark an exchange over")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The exchange after; it is purged some days later.", r("Exchange"))
            .errors(&[409]),
        get("/api/v1/exchanges/{id}/participants", "Participants")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "Everyone registered, removed ones too.", array(r("Participant"))),
        delete("/api/v1/exchanges/{id}/participants/{pid}", "Remove a participant")
            .access(Access::Organizer)
            .param(id())
            .param(path_id("pid", "The participant."))
            .ok(200, "Removed; a matched exchange loses its matches.", r("RemovedParticipant"))
            .errors(&[409]),
        get("/api/v1/exchanges/{id}/exclusions", "Pairs that must not be matched")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The exclusions.", array(r("Exclusion"))),
        post("/api/v1/exchanges/{id}/exclusions", "Add an exclusion")
            .access(Access::Organizer)
            .param(id())
            .json(r("ExclusionInput"))
            .ok(201, "Added.", r("Exclusion"))
            .errors(&[409]),
        delete("/api/v1/exchanges/{id}/exclusions/{xid}", "Remove an exclusion")
            .access(Access::Organizer)
            .param(id())
            .param(path_id("xid", "The exclusion."))
            .ok(200, "Removed.", r("ExchangeMessage"))
            .errors(&[409]),
        get("/api/v1/exchanges/{id}/matches", "Who gives to whom")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The matches (empty before the draw).", array(r("Match"))),
        get("/api/v1/exchanges/{id}/matches.csv", "Who gives to whom, as CSV")
            .about("Confidential: audited, and never cached on the way.")
            .access(Access::Organizer)
            .param(id())
            .answer(200, "A CSV file to save.", Some((CSV, string())))
            .headers(&[("Content-Disposition", "`attachment` with a file name."), ("Cache-Control", "`no-store`.")]),
        get("/api/v1/exchanges/{id}/schedule", "An exchange's reminders and notices")
            .access(Access::Organizer)
            .param(id())
            .ok(200, "The reminder days, the notice overrides and the reminders sent.", r("Schedule")),
        put("/api/v1/exchanges/{id}/schedule", "Change an exchange's reminders and notices")
            .access(Access::Organizer)
            .param(id())
            .json(r("ScheduleInput"))
            .ok(200, "Saved.", r("Schedule"))
            .errors(&[409]),
        put("/api/v1/exchanges/{id}/me", "Change my entry in an exchange")
            .about("Only the fields given change.")
            .access(Access::SignedIn)
            .param(id())
            .json(r("MeInput"))
            .ok(200, "The exchange as I see it.", r("MyExchange"))
            .errors(&[409]),
        post("/api/v1/exchanges/{id}/withdraw", "Withdraw from an exchange")
            .access(Access::SignedIn)
            .param(id())
            .ok(200, "Withdrawn.", r("Withdrawn"))
            .errors(&[409]),
        get("/api/v1/exchanges/{id}/assignment", "Whom I give to")
            .access(Access::SignedIn)
            .param(id())
            .ok(200, "My recipient and their gift ideas.", r("Assignment"))
            .errors(&[409]),
        get("/api/v1/exchanges/{slug}/register", "An exchange's public page")
            .param(slug())
            .ok(200, "What the exchange is and whether it takes registrations.", r("PublicExchange")),
        post("/api/v1/exchanges/{slug}/register", "Register for an exchange")
            .about("Anyone with the link, while registration is open. Counts against the client's email allowance.")
            .param(slug())
            .json(r("ExchangeRegisterInput"))
            .ok(201, "Registered; a confirmation is emailed.", r("ExchangeRegistered"))
            .errors(&[409])
            .limited(),
        post("/api/v1/exchanges/{slug}/join", "Join an exchange as the signed-in account")
            .access(Access::SignedIn)
            .param(slug())
            .json(r("JoinInput"))
            .ok(201, "Registered.", r("ExchangeRegistered"))
            .errors(&[409]),
        post("/api/v1/exchanges/{slug}/request-access", "Ask for a link to my exchange page")
            .about("Always the same answer; the work happens after it.")
            .param(slug())
            .json(r("AccessRequestInput"))
            .ok(200, "A link is on its way if the address is registered.", r("ExchangeMessage"))
            .errors(&[503])
            .limited(),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn admin() -> Vec<Op> {
    let t = "Admin";
    let audit_filter = |op: Op| {
        op.param(query("actor", string(), "Username (or user id) of who acted."))
            .param(query("target", string(), "What was acted on, e.g. `user:12`."))
            .param(query("kind", string(), "The event's kind."))
            .param(page())
    };
    vec![
        get("/api/v1/admin/dashboard", "The dashboard's figures")
            .about("Organizers get the gift-exchange part only.")
            .access(Access::Organizer)
            .ok(200, "Counts, charts and (admins) the system's state.", r("Dashboard")),
        get("/api/v1/admin/settings", "Club settings").access(Access::Admin).ok(
            200,
            "The settings.",
            r("Settings"),
        ),
        put("/api/v1/admin/settings", "Change club settings")
            .about("Only the fields sent change.")
            .access(Access::Admin)
            .json(r("SettingsInput"))
            .ok(200, "The settings after.", r("Settings")),
        get("/api/v1/admin/outbox", "The email outbox")
            .access(Access::Admin)
            .param(query(
                "status",
                or_empty(one_of_strings(&OutboxStatus::ALL.map(OutboxStatus::as_str))),
                "Only emails in this state.",
            ))
            .param(page())
            .ok(200, "A page of emails, newest first, with counts per state.", r("OutboxList")),
        post("/api/v1/admin/outbox/{id}/resend", "Send an email again")
            .access(Access::Admin)
            .param(path_id("id", "The email."))
            .ok(200, "Queued again.", r("OutboxItem"))
            .errors(&[409]),
        post("/api/v1/admin/outbox/{id}/link", "Read the link an email carries")
            .about(
                "For handing a link over by other means when email fails; audited, hence a POST.",
            )
            .access(Access::Admin)
            .param(path_id("id", "The email."))
            .ok(200, "The link (and code), and whether it still works.", r("CopiedLink"))
            .errors(&[409]),
        post("/api/v1/admin/outbox/test", "Send a test email")
            .access(Access::Admin)
            .json(r("TestEmailInput"))
            .ok(200, "Sent, or why not, with advice.", r("TestEmailResult")),
        audit_filter(get("/api/v1/admin/audit", "The audit log")).access(Access::Admin).ok(
            200,
            "A page of entries, newest first.",
            r("AuditList"),
        ),
        audit_filter(get("/api/v1/admin/audit/export.csv", "Export the audit log as CSV"))
            .about("The export itself is audited.")
            .access(Access::Admin)
            .answer(200, "A CSV file to save.", Some((CSV, string())))
            .headers(&[("Content-Disposition", "`attachment` with a file name.")]),
        get("/api/v1/admin/audit/retention", "How long audit entries are kept")
            .access(Access::Admin)
            .ok(200, "In days.", r("Retention")),
        put("/api/v1/admin/audit/retention", "Change how long audit entries are kept")
            .access(Access::Admin)
            .json(r("RetentionInput"))
            .ok(200, "Saved.", r("Retention")),
        get("/api/v1/admin/backups", "Backups").access(Access::Admin).ok(
            200,
            "The backups kept, the schedule and where they are.",
            r("Backups"),
        ),
        post("/api/v1/admin/backups", "Back up now")
            .access(Access::Admin)
            .ok(201, "Made and verified.", r("Backup"))
            .errors(&[409, 503]),
        get("/api/v1/admin/backups/{name}", "Download a backup")
            .about("The download is audited.")
            .access(Access::Admin)
            .param(path_text("name", "The backup's file name."))
            .answer(
                200,
                "The SQLite file.",
                Some(("application/vnd.sqlite3", json!({ "type": "string", "format": "binary" }))),
            )
            .headers(&[("Content-Disposition", "`attachment` with the file name.")]),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}

fn realtime() -> Vec<Op> {
    let cursor =
        |what| query("x", json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX }), what);
    vec![get("/api/v1/ws", "Open the real-time socket")
        .tag("Real time")
        .about("A WebSocket handshake. The server sends `{\"type\":\"ready\"}`, then, when the client named the last ids it saw, the events it missed (or `{\"type\":\"resync\"}` when there were too many), then live events. From a browser, only Clubroom's own pages may open it (403 `cross_origin`).")
        .access(Access::Member)
        .param(Param { name: "last_message_id", ..cursor("The last chat message id the client saw.") })
        .param(Param { name: "last_notice_id", ..cursor("The last notice id the client saw.") })
        .answer(101, "Switching to the WebSocket protocol.", None)
        .errors(&[400])]
}

fn apidoc() -> Vec<Op> {
    let t = "API description";
    vec![
        get("/api/v1/openapi.json", "This document").ok(
            200,
            "The OpenAPI 3.1 description of the JSON API.",
            r("OpenApiDocument"),
        ),
        get("/api/docs", "The readable API reference").access(Access::Optional).answer(
            200,
            "An HTML page made from this document.",
            Some(("text/html", string())),
        ),
    ]
    .into_iter()
    .map(|op| op.tag(t))
    .collect()
}
