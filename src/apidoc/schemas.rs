//! The shapes of the JSON the server sends, one entry per view struct (the name is the
//! struct's), and the shapes of the bodies it accepts. Properties a view always writes are
//! `required`; `null` is allowed exactly where the struct holds an `Option`.

use serde_json::{json, Value};

use super::spec::*;

const ROLES: &[&str] = &["admin", "coach", "member", "guardian", "guest", "organizer"];
const STATUSES: &[&str] =
    &["invited", "onboarding", "pending_contract", "pending_review", "active", "disabled"];
const EXCHANGE_STATES: &[&str] =
    &["draft", "registration_open", "registration_closed", "matched", "completed"];

fn role() -> Value {
    one_of_strings(ROLES)
}

fn status() -> Value {
    one_of_strings(STATUSES)
}

fn opt_string() -> Value {
    nullable(string())
}

fn opt_int() -> Value {
    nullable(int())
}

fn opt_datetime() -> Value {
    nullable(datetime())
}

/// A page of a list: its entries and where it stands.
fn paged(items: Value, extra: &[(&str, Value)]) -> Value {
    let mut props = vec![
        ("items", array(items)),
        ("page", int()),
        ("per_page", int()),
        ("total", int()),
        ("pages", int()),
    ];
    props.extend(extra.iter().cloned());
    object(&props)
}

/// Every named schema of the document.
pub fn all() -> Vec<(&'static str, Value)> {
    let mut schemas = responses();
    schemas.extend(inputs());
    schemas
}

fn responses() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Error",
            object(&[(
                "error",
                object(&[
                    (
                        "code",
                        json!({ "type": "string", "description": "Stable, machine-readable, snake_case." }),
                    ),
                    (
                        "message",
                        json!({ "type": "string", "description": "Safe to show to a person." }),
                    ),
                    (
                        "fields",
                        json!({ "type": "object", "additionalProperties": { "type": "string" }, "description": "Field name -> what is wrong with it; empty when no field is to blame." }),
                    ),
                ]),
            )]),
        ),
        ("Message", object(&[("message", string())])),
        (
            "Session",
            object(&[
                ("logged_in", boolean()),
                ("user_id", int()),
                ("username", string()),
                ("email", string()),
                ("display_name", string()),
                ("roles", array(role())),
                ("status", status()),
                ("onboarding_complete", boolean()),
                ("expires_at", datetime()),
            ]),
        ),
        ("LoggedOut", object(&[("logged_in", json!({ "type": "boolean", "const": false }))])),
        ("Check", object(&[("authenticated", boolean()), ("user", r("Session"))])),
        (
            "TokenPair",
            object(&[
                ("access_token", string()),
                ("refresh_token", string()),
                ("token_type", json!({ "type": "string", "const": "Bearer" })),
                (
                    "expires_in",
                    json!({ "type": "integer", "description": "Seconds the access token lives." }),
                ),
            ]),
        ),
        (
            "TwoFactorChallenge",
            object(&[("two_factor_required", boolean()), ("challenge", string())]),
        ),
        (
            "LoginAnswer",
            json!({
                "description": "Signed in (`message`, with the session cookie set), a second-factor challenge to answer at /auth/login/verify, or API tokens.",
                "anyOf": [r("Message"), r("TwoFactorChallenge"), r("TokenPair")],
            }),
        ),
        (
            "Registered",
            object(&[("message", string()), ("user_id", int()), ("username", string())]),
        ),
        (
            "Device",
            object(&[
                ("id", string()),
                ("created_at", datetime()),
                ("last_seen_at", opt_datetime()),
                ("ip", opt_string()),
                ("user_agent", opt_string()),
                ("current", boolean()),
            ]),
        ),
        ("Devices", object(&[("sessions", array(r("Device"))), ("tokens", array(r("Device")))])),
        (
            "CreatedMember",
            object(&[
                ("user_id", int()),
                ("username", string()),
                ("email", string()),
                ("status", status()),
            ]),
        ),
        // Invitations
        (
            "CreatedInvite",
            object(&[("invite_id", int()), ("invite_url", string()), ("expires_at", datetime())]),
        ),
        (
            "Invite",
            object(&[
                ("id", int()),
                ("kind", one_of_strings(&["personal", "link"])),
                ("name", string()),
                ("email", opt_string()),
                ("roles", array(role())),
                ("status", one_of_strings(&["pending", "used", "expired", "revoked"])),
                ("uses", int()),
                ("max_uses", opt_int()),
                ("uses_left", opt_int()),
                ("expires_at", datetime()),
                ("created_at", datetime()),
                ("last_sent_at", opt_datetime()),
            ]),
        ),
        (
            "InvitePreflight",
            object_with_optional(
                &[("valid", boolean()), ("roles", array(role()))],
                &[("email", string()), ("name", string())],
            ),
        ),
        // Admin dashboard and settings
        (
            "Tile",
            object(&[("key", string()), ("label", string()), ("count", int()), ("href", string())]),
        ),
        ("Count", object(&[("label", string()), ("count", int())])),
        (
            "Job",
            object(&[
                ("name", string()),
                ("every_secs", int()),
                ("runs", int()),
                ("last_run_at", opt_datetime()),
                ("last_error", opt_string()),
            ]),
        ),
        (
            "Chart",
            object_with_optional(
                &[
                    ("key", string()),
                    ("title", string()),
                    ("unit", string()),
                    (
                        "points",
                        array(object(&[
                            ("label", string()),
                            ("long_label", string()),
                            ("value", int()),
                        ])),
                    ),
                ],
                &[("svg", string())],
            ),
        ),
        (
            "Dashboard",
            object(&[
                ("scope", one_of_strings(&["admin", "organizer"])),
                ("generated_at", datetime()),
                ("members_by_status", nullable(array(r("Tile")))),
                ("waiting", nullable(array(r("Tile")))),
                ("exchanges_by_state", array(r("Tile"))),
                ("charts", array(r("Chart"))),
                (
                    "system",
                    nullable(object(&[
                        ("mail_mode", string()),
                        ("base_url", string()),
                        ("active_sessions", int()),
                        ("roles", array(r("Count"))),
                        ("outbox", array(r("Count"))),
                        ("jobs", array(r("Job"))),
                        ("last_backup_age_secs", opt_int()),
                        ("last_backup_age", opt_string()),
                    ])),
                ),
            ]),
        ),
        (
            "Settings",
            object(&[
                ("club_name", string()),
                ("club_description", string()),
                ("contact_email", string()),
                ("club_timezone", string()),
                ("registration_mode", string()),
                ("two_factor_policy", string()),
                ("guest_accounts", boolean()),
                ("member_review", boolean()),
                ("direct_chat", boolean()),
                ("session_idle_minutes", int()),
                ("session_absolute_minutes", int()),
                ("backup_interval_hours", int()),
                ("backup_keep", int()),
            ]),
        ),
        // Outbox and audit
        (
            "OutboxItem",
            object(&[
                ("id", int()),
                ("to", string()),
                ("template", string()),
                ("status", string()),
                ("attempts", int()),
                ("last_error", opt_string()),
                ("created_at", datetime()),
                ("sent_at", opt_datetime()),
                ("next_attempt_at", opt_datetime()),
                ("has_link", boolean()),
            ]),
        ),
        (
            "OutboxList",
            object(&[
                ("items", array(r("OutboxItem"))),
                ("status", string()),
                ("page", int()),
                ("per_page", int()),
                ("total", int()),
                ("pages", int()),
                ("counts", array(object(&[("status", string()), ("count", int())]))),
            ]),
        ),
        (
            "CopiedLink",
            object(&[
                ("email_id", int()),
                ("to", string()),
                ("template", string()),
                ("url", string()),
                ("code", opt_string()),
                ("live", boolean()),
                ("note", string()),
            ]),
        ),
        (
            "TestEmailResult",
            object(&[
                ("to", string()),
                ("mode", string()),
                ("sent", boolean()),
                ("message", string()),
                (
                    "diagnosis",
                    nullable(object(&[
                        ("problem", string()),
                        ("title", string()),
                        ("advice", string()),
                    ])),
                ),
                ("error", opt_string()),
            ]),
        ),
        (
            "AuditEntry",
            object(&[
                ("id", int()),
                ("at", datetime()),
                ("actor", nullable(object(&[("id", int()), ("username", opt_string())]))),
                ("kind", string()),
                ("target", opt_string()),
                ("detail", json!({ "description": "Free-form JSON the event recorded, or null." })),
                ("ip", opt_string()),
            ]),
        ),
        (
            "AuditList",
            object(&[
                ("items", array(r("AuditEntry"))),
                (
                    "filter",
                    object(&[("actor", string()), ("target", string()), ("kind", string())]),
                ),
                ("page", int()),
                ("per_page", int()),
                ("total", int()),
                ("pages", int()),
                ("kinds", array(string())),
                ("retention_days", int()),
            ]),
        ),
        ("Retention", object(&[("days", int())])),
        // Backups
        (
            "Backup",
            object(&[
                ("name", string()),
                ("created_at", datetime()),
                ("size_bytes", int()),
                ("size", string()),
                ("verified", boolean()),
                ("verified_at", opt_datetime()),
            ]),
        ),
        (
            "Backups",
            object(&[
                ("backups", array(r("Backup"))),
                ("interval_hours", int()),
                ("keep", int()),
                ("last_backup_age_secs", opt_int()),
                ("last_backup_age", opt_string()),
                ("directory", string()),
            ]),
        ),
        // Members
        (
            "FieldAnswer",
            object(&[
                ("key", string()),
                ("label", string()),
                ("kind", field_kind()),
                ("required", boolean()),
                ("visibility", visibility()),
                ("choices", array(string())),
                ("value", opt_string()),
            ]),
        ),
        (
            "Profile",
            object(&[
                ("id", int()),
                ("username", string()),
                ("email", string()),
                ("name", string()),
                ("first_name", string()),
                ("last_name", string()),
                ("phone", string()),
                ("city", string()),
                ("state", string()),
                ("country", string()),
                ("zip", string()),
                ("timezone", string()),
                ("coach", nullable(object(&[("id", int()), ("name", string())]))),
                ("venue", string()),
                ("address", string()),
                ("emergency_contact", object(&[("name", string()), ("phone", string())])),
                ("show_email", boolean()),
                ("show_phone", boolean()),
                ("roles", array(role())),
                ("status", status()),
                ("member_since", opt_datetime()),
                ("fields", array(r("FieldAnswer"))),
            ]),
        ),
        (
            "Onboarding",
            object(&[
                ("status", status()),
                ("onboarding_complete", boolean()),
                ("missing", array(string())),
                ("missing_fields", array(string())),
                ("review_required", boolean()),
                ("agreement_pending", boolean()),
                (
                    "agreement",
                    nullable(object(&[
                        ("version", int()),
                        ("title", string()),
                        ("body", string()),
                        ("signed_version", opt_int()),
                        ("signed_at", opt_datetime()),
                        ("needs_signature", boolean()),
                    ])),
                ),
                ("profile", r("Profile")),
            ]),
        ),
        (
            "DirectoryList",
            paged(
                object(&[
                    ("id", int()),
                    ("username", string()),
                    ("name", string()),
                    ("roles", array(role())),
                    ("email", opt_string()),
                    ("phone", opt_string()),
                    (
                        "fields",
                        array(object(&[
                            ("key", string()),
                            ("label", string()),
                            ("value", string()),
                        ])),
                    ),
                ]),
                &[("q", string())],
            ),
        ),
        (
            "ProfileField",
            object(&[
                ("id", int()),
                ("key", string()),
                ("label", string()),
                ("kind", field_kind()),
                ("required", boolean()),
                ("visibility", visibility()),
                ("choices", array(string())),
                ("position", int()),
            ]),
        ),
        (
            "MemberDetail",
            object(&[
                ("profile", r("Profile")),
                ("joined_at", datetime()),
                ("onboarding_completed_at", opt_datetime()),
                ("missing", array(string())),
                ("can_activate", boolean()),
                ("is_self", boolean()),
                ("current_agreement_version", opt_int()),
                (
                    "signatures",
                    array(object(&[
                        ("version", int()),
                        ("full_name", string()),
                        ("ip", opt_string()),
                        ("signed_at", datetime()),
                    ])),
                ),
                (
                    "timeline",
                    array(object(&[
                        ("from", opt_string()),
                        ("to", string()),
                        ("actor_id", opt_int()),
                        ("actor_name", opt_string()),
                        ("note", opt_string()),
                        ("at", datetime()),
                    ])),
                ),
                (
                    "account",
                    object(&[
                        ("sessions", int()),
                        ("api_logins", int()),
                        ("has_password", boolean()),
                        ("two_factor_enabled", boolean()),
                        ("claimed_at", opt_datetime()),
                        ("last_login_at", opt_datetime()),
                        ("member_since", datetime()),
                        ("last_admin", boolean()),
                        ("can_send_claim_code", boolean()),
                        ("all_roles", array(role())),
                        (
                            "history",
                            array(object(&[
                                ("kind", string()),
                                ("actor_name", opt_string()),
                                ("detail", json!({ "description": "Free-form JSON, or null." })),
                                ("at", datetime()),
                            ])),
                        ),
                    ]),
                ),
            ]),
        ),
        (
            "AgreementVersion",
            object(&[
                ("version", int()),
                ("title", string()),
                ("body", string()),
                ("created_at", datetime()),
                ("retired_at", opt_datetime()),
                ("signatures", int()),
            ]),
        ),
        (
            "AgreementAdmin",
            object(&[
                ("current", nullable(r("AgreementVersion"))),
                ("versions", array(r("AgreementVersion"))),
            ]),
        ),
        // People management
        (
            "PersonSummary",
            object(&[
                ("id", int()),
                ("username", string()),
                ("name", string()),
                ("email", string()),
                ("status", status()),
                ("roles", array(role())),
                ("joined_at", datetime()),
                ("member_since", datetime()),
                ("last_login_at", opt_datetime()),
                ("onboarding_completed_at", opt_datetime()),
                ("signed_version", opt_int()),
            ]),
        ),
        (
            "ImportResult",
            object(&[
                (
                    "created",
                    array(object(&[
                        ("line", int()),
                        ("id", int()),
                        ("username", string()),
                        ("email", string()),
                    ])),
                ),
                ("skipped_existing", int()),
                ("skipped_invalid", int()),
                ("invitations_sent", int()),
                ("committed_at", datetime()),
                ("already_committed", boolean()),
            ]),
        ),
        (
            "ImportPreview",
            object(&[
                ("id", string()),
                ("expires_at", datetime()),
                ("counts", object(&[("new", int()), ("exists", int()), ("invalid", int())])),
                (
                    "rows",
                    array(object(&[
                        ("line", int()),
                        ("email", string()),
                        ("first_name", string()),
                        ("last_name", string()),
                        ("phone", string()),
                        ("roles", string()),
                        ("outcome", one_of_strings(&["new", "exists", "invalid"])),
                        (
                            "errors",
                            json!({ "type": "object", "additionalProperties": { "type": "string" } }),
                        ),
                        ("existing_id", opt_int()),
                    ])),
                ),
                ("result", nullable(r("ImportResult"))),
            ]),
        ),
        ("SessionsEnded", object(&[("sessions_ended", int()), ("api_logins_ended", int())])),
        (
            "AccessSent",
            object(&[("kind", one_of_strings(&["claim_code", "set_password"])), ("to", string())]),
        ),
        (
            "Deletion",
            object(&[
                ("id", int()),
                ("username", string()),
                ("name", string()),
                ("email", string()),
                ("deleted", array(object(&[("label", string()), ("rows", int())]))),
                ("kept", array(object(&[("label", string()), ("rows", int())]))),
                ("refusal", opt_string()),
            ]),
        ),
        ("DeletedMember", object(&[("deleted", boolean()), ("id", int()), ("username", string())])),
        // Activities
        ("PersonRef", object(&[("id", int()), ("username", string()), ("name", string())])),
        (
            "Activity",
            object(&[
                ("id", int()),
                ("member", r("PersonRef")),
                ("started_at", datetime()),
                (
                    "started_local",
                    json!({ "type": "string", "description": "`YYYY-MM-DD HH:MM` in the member's time zone." }),
                ),
                ("time_zone", string()),
                ("duration_minutes", int()),
                ("type", string()),
                ("type_label", string()),
                ("format", string()),
                ("venue", string()),
                ("coach", nullable(r("PersonRef"))),
                ("notes", string()),
                ("recorded_by", nullable(r("PersonRef"))),
                ("created_at", datetime()),
                ("updated_at", datetime()),
                ("can_edit", boolean()),
            ]),
        ),
        (
            "ActivityList",
            paged(
                r("Activity"),
                &[("total_minutes", int()), ("member", r("PersonRef")), ("time_zone", string())],
            ),
        ),
        (
            "ActivityType",
            object(&[
                ("id", int()),
                ("key", string()),
                ("label", string()),
                ("position", int()),
                ("archived", boolean()),
            ]),
        ),
        (
            "AdminActivityType",
            object(&[
                ("id", int()),
                ("key", string()),
                ("label", string()),
                ("position", int()),
                ("archived", boolean()),
                ("archived_at", opt_datetime()),
                ("created_at", datetime()),
                ("activity_count", int()),
            ]),
        ),
        (
            "TypeRemoval",
            object(&[
                ("deleted", boolean()),
                ("archived", boolean()),
                ("message", string()),
                ("activity_type", nullable(r("AdminActivityType"))),
            ]),
        ),
        (
            "CoachedMembers",
            object(&[(
                "members",
                array(object(&[
                    ("id", int()),
                    ("username", string()),
                    ("name", string()),
                    ("activity_count", int()),
                    ("total_minutes", int()),
                    ("last_started_at", opt_datetime()),
                    ("last_started_local", opt_string()),
                ])),
            )]),
        ),
        ("Deleted", object(&[("deleted", boolean())])),
        // Bookings
        (
            "Service",
            object_with_optional(
                &[
                    ("id", int()),
                    ("name", string()),
                    ("duration_minutes", int()),
                    ("notes", string()),
                    ("archived", boolean()),
                    ("archived_at", opt_datetime()),
                ],
                &[(
                    "bookings",
                    json!({ "type": "integer", "description": "Admins only: how many bookings use it." }),
                )],
            ),
        ),
        (
            "RemovedService",
            object(&[
                ("id", int()),
                ("result", one_of_strings(&["deleted", "archived"])),
                ("message", string()),
            ]),
        ),
        (
            "Booking",
            object_with_optional(
                &[
                    ("id", int()),
                    (
                        "status",
                        one_of_strings(&[
                            "pending",
                            "confirmed",
                            "declined",
                            "cancelled",
                            "completed",
                        ]),
                    ),
                    ("service_id", int()),
                    ("service_name", string()),
                    ("requested_start", datetime()),
                    ("ends_at", datetime()),
                    ("duration_minutes", int()),
                    ("notes", string()),
                    ("admin_message", string()),
                    ("decided_at", opt_datetime()),
                    ("completed_at", opt_datetime()),
                    ("activity_id", opt_int()),
                    ("created_at", datetime()),
                    ("can_cancel", boolean()),
                ],
                &[("member", object(&[("id", int()), ("name", string()), ("username", string())]))],
            ),
        ),
        (
            "Feed",
            object(&[
                ("url", opt_string()),
                ("created_at", opt_datetime()),
                ("last_used_at", opt_datetime()),
            ]),
        ),
        // Cards
        ("Card", card()),
        (
            "OwnCard",
            extend(
                card(),
                &[
                    ("shared", boolean()),
                    ("share_token", opt_string()),
                    ("share_url", opt_string()),
                ],
            ),
        ),
        ("Shared", object(&[("share_token", string()), ("share_url", string())])),
        (
            "ContactPreference",
            object(&[
                ("contact_preference", nullable(contact_preference())),
                ("contact_label", opt_string()),
            ]),
        ),
        ("Status", object(&[("status", json!({ "type": "string", "const": "ok" }))])),
        // Notices
        ("Sender", object(&[("id", int()), ("name", string())])),
        ("Notice", notice_item()),
        ("NoticeList", paged(r("Notice"), &[("unread", int())])),
        (
            "Reply",
            object_with_optional(
                &[
                    ("id", int()),
                    ("message_id", int()),
                    ("from_admin", boolean()),
                    ("author", nullable(r("Sender"))),
                    ("body", string()),
                    ("sent_at", datetime()),
                ],
                &[(
                    "new",
                    json!({ "type": "boolean", "description": "Admins only: a member's reply no admin has read yet." }),
                )],
            ),
        ),
        (
            "NoticeDetail",
            extend(notice_item(), &[("body", string()), ("thread", array(r("Reply")))]),
        ),
        ("NoticeDeleted", object(&[("id", int()), ("deleted", boolean())])),
        ("NoticeSettings", object(&[("email_notices", boolean())])),
        (
            "SentNotice",
            object(&[
                ("id", int()),
                ("subject", string()),
                ("body", string()),
                ("audience", string()),
                ("audience_label", string()),
                ("email", boolean()),
                ("sender", nullable(r("Sender"))),
                ("sent_at", datetime()),
                ("recipients", int()),
                ("read", int()),
                ("deleted", int()),
                ("replies", int()),
                ("unread_replies", int()),
            ]),
        ),
        ("SentList", paged(r("SentNotice"), &[("unread_replies", int())])),
        (
            "SentNoticeDetail",
            object(&[
                ("notice", r("SentNotice")),
                (
                    "recipients",
                    array(object(&[
                        ("user_id", int()),
                        ("name", string()),
                        ("username", string()),
                        ("message_id", int()),
                        ("read", boolean()),
                        ("read_at", opt_datetime()),
                        ("deleted", boolean()),
                        ("deleted_at", opt_datetime()),
                        ("thread", array(r("Reply"))),
                    ])),
                ),
            ]),
        ),
        // Chat
        (
            "ChatMessage",
            object(&[
                ("id", int()),
                ("conversation_id", int()),
                ("author", nullable(r("Sender"))),
                ("content", string()),
                ("sent_at", datetime()),
                ("client_sent_at", opt_string()),
            ]),
        ),
        (
            "ConversationSummary",
            object(&[
                ("id", int()),
                ("kind", one_of_strings(&["group", "direct"])),
                ("name", string()),
                ("description", string()),
                (
                    "last_message",
                    nullable(object(&[
                        ("id", int()),
                        ("author", nullable(r("Sender"))),
                        ("preview", string()),
                        ("sent_at", datetime()),
                    ])),
                ),
                ("unread", int()),
                ("is_member", boolean()),
                ("last_activity_at", datetime()),
            ]),
        ),
        (
            "Conversation",
            object(&[
                ("id", int()),
                ("kind", one_of_strings(&["group", "direct"])),
                ("name", string()),
                ("description", string()),
                ("created_at", datetime()),
                (
                    "members",
                    array(object(&[
                        ("id", int()),
                        ("name", string()),
                        ("role", one_of_strings(&["owner", "member"])),
                        ("joined_at", datetime()),
                        ("active", boolean()),
                    ])),
                ),
                ("my_role", nullable(one_of_strings(&["owner", "member"]))),
                ("is_member", boolean()),
                ("can_manage", boolean()),
                ("can_post", boolean()),
                ("last_message_id", opt_int()),
                ("unread", int()),
            ]),
        ),
        (
            "History",
            object(&[
                ("conversation_id", int()),
                ("messages", array(r("ChatMessage"))),
                ("has_more", boolean()),
                ("next_before", opt_int()),
            ]),
        ),
        (
            "ReadMarker",
            object(&[("conversation_id", int()), ("last_read_id", int()), ("unread", int())]),
        ),
        ("Left", object(&[("conversation_id", int()), ("left", boolean())])),
        // Gift exchanges
        (
            "Exchange",
            object(&[
                ("id", int()),
                ("slug", string()),
                ("name", string()),
                ("description", string()),
                ("budget", string()),
                ("max_participants", opt_int()),
                ("registration_close_date", date()),
                ("exchange_date", date()),
                ("timezone", string()),
                ("state", one_of_strings(EXCHANGE_STATES)),
                ("state_label", string()),
                ("registration_url", string()),
                ("participant_count", int()),
                ("accepting_registrations", boolean()),
                (
                    "actions",
                    array(one_of_strings(&[
                        "open", "close", "reopen", "match", "rematch", "complete",
                    ])),
                ),
                ("editable", boolean()),
                ("created_at", datetime()),
                ("updated_at", datetime()),
                ("matched_at", opt_datetime()),
                ("completed_at", opt_datetime()),
                ("purge_in_days", opt_int()),
                ("closes_on", string()),
                ("happens_on", string()),
            ]),
        ),
        (
            "ExchangeList",
            object(&[
                ("total", int()),
                (
                    "counts",
                    object(&[
                        ("draft", int()),
                        ("registration_open", int()),
                        ("registration_closed", int()),
                        ("matched", int()),
                        ("completed", int()),
                    ]),
                ),
                (
                    "groups",
                    array(object(&[
                        ("state", one_of_strings(EXCHANGE_STATES)),
                        ("label", string()),
                        ("count", int()),
                        ("exchanges", array(r("Exchange"))),
                    ])),
                ),
            ]),
        ),
        (
            "Participant",
            object(&[
                ("id", int()),
                ("name", string()),
                ("email", string()),
                ("gift_ideas", string()),
                ("reminders", boolean()),
                ("status", string()),
                ("user_id", opt_int()),
                ("registered_at", datetime()),
                ("removed_at", opt_datetime()),
            ]),
        ),
        ("ParticipantRef", object(&[("id", int()), ("name", string())])),
        (
            "Exclusion",
            object(&[
                ("id", opt_int()),
                ("participant_a", r("ParticipantRef")),
                ("participant_b", r("ParticipantRef")),
            ]),
        ),
        (
            "RemovedParticipant",
            object(&[
                ("participant", r("Participant")),
                ("matches_deleted", boolean()),
                ("state", one_of_strings(EXCHANGE_STATES)),
                ("message", string()),
            ]),
        ),
        (
            "Match",
            object(&[
                ("giver", object(&[("id", int()), ("name", string()), ("email", string())])),
                ("receiver", object(&[("id", int()), ("name", string()), ("email", string())])),
                ("receiver_gift_ideas", string()),
            ]),
        ),
        (
            "NoMatch",
            object(&[(
                "error",
                object(&[
                    ("code", json!({ "type": "string", "const": "no_match_possible" })),
                    ("message", string()),
                    ("fields", json!({ "type": "object" })),
                    ("reason", string()),
                    ("participant", nullable(r("ParticipantRef"))),
                    ("blamed", array(r("Exclusion"))),
                    ("fix", nullable(array(r("Exclusion")))),
                ]),
            )]),
        ),
        ("Assignment", object(&[("recipient_name", string()), ("gift_ideas", string())])),
        (
            "MyExchange",
            object(&[
                ("id", int()),
                ("name", string()),
                ("description", string()),
                ("budget", string()),
                ("registration_close_date", date()),
                ("exchange_date", date()),
                ("timezone", string()),
                ("closes_on", string()),
                ("happens_on", string()),
                ("state", one_of_strings(EXCHANGE_STATES)),
                ("state_label", string()),
                ("participants", array(string())),
                (
                    "me",
                    object(&[
                        ("participant_id", int()),
                        ("name", string()),
                        ("email", string()),
                        ("gift_ideas", string()),
                        ("reminders", boolean()),
                    ]),
                ),
                ("can_edit_name", boolean()),
                ("can_withdraw", boolean()),
                ("assignment", nullable(r("Assignment"))),
            ]),
        ),
        (
            "Withdrawn",
            object(&[("exchange_id", int()), ("withdrawn", boolean()), ("message", string())]),
        ),
        (
            "PublicExchange",
            object(&[
                ("slug", string()),
                ("name", string()),
                ("description", string()),
                ("budget", string()),
                ("registration_close_date", date()),
                ("exchange_date", date()),
                ("timezone", string()),
                ("closes_on", string()),
                ("happens_on", string()),
                ("open", boolean()),
                ("closed_message", opt_string()),
            ]),
        ),
        ("ExchangeRegistered", object(&[("exchange_name", string()), ("message", string())])),
        (
            "Organizer",
            object(&[("user_id", int()), ("organizer", boolean()), ("roles", array(role()))]),
        ),
        (
            "NotifyPrefs",
            object(&[
                ("registration", boolean()),
                ("withdrawal", boolean()),
                ("matched", boolean()),
            ]),
        ),
        (
            "Schedule",
            object(&[
                ("exchange_id", int()),
                ("name", string()),
                ("state", one_of_strings(EXCHANGE_STATES)),
                ("exchange_date", date()),
                ("timezone", string()),
                ("reminder_days", array(int())),
                (
                    "notify",
                    object(&[
                        ("registration", nullable(boolean())),
                        ("withdrawal", nullable(boolean())),
                        ("matched", nullable(boolean())),
                    ]),
                ),
                ("club_default", r("NotifyPrefs")),
                (
                    "reminders_sent",
                    array(object(&[
                        ("days_before", int()),
                        ("sent_at", datetime()),
                        ("sent_local", string()),
                    ])),
                ),
                ("editable", boolean()),
                ("completed_at", opt_datetime()),
                ("purge_in_days", opt_int()),
            ]),
        ),
        ("OpenApiDocument", json!({ "type": "object", "required": ["openapi", "info", "paths"] })),
    ]
}

fn field_kind() -> Value {
    one_of_strings(&["text", "long_text", "number", "date", "yes_no", "choice"])
}

fn visibility() -> Value {
    one_of_strings(&["private", "members", "public"])
}

fn contact_preference() -> Value {
    one_of_strings(&["email", "text", "phone", "social"])
}

fn summary_stats(period: (&str, Value)) -> Value {
    object(&[
        period,
        ("total_sessions", int()),
        ("total_hours", number()),
        ("sessions_per_week", number()),
        ("average_minutes", int()),
        ("share", object(&[("coached", int()), ("group", int()), ("solo", int())])),
    ])
}

fn card() -> Value {
    object(&[
        ("name", string()),
        ("city", string()),
        ("state", string()),
        ("club_name", string()),
        ("roles", array(role())),
        ("member_since", date()),
        ("coach", opt_string()),
        ("fields", array(object(&[("label", string()), ("value", string())]))),
        ("contact_preference", nullable(contact_preference())),
        ("contact_label", opt_string()),
        ("lifetime", summary_stats(("active_since", nullable(date())))),
        ("recent", summary_stats(("since", date()))),
        ("weekly_minutes", array(object(&[("week_start", date()), ("minutes", int())]))),
    ])
}

fn notice_item() -> Value {
    object(&[
        ("id", int()),
        ("notice_id", int()),
        ("subject", string()),
        ("preview", string()),
        ("sender", nullable(r("Sender"))),
        ("sent_at", datetime()),
        ("unread", boolean()),
        ("read_at", opt_datetime()),
        ("replies", int()),
    ])
}

/// Request bodies, named after the input structs.
fn inputs() -> Vec<(&'static str, Value)> {
    let text = string;
    vec![
        ("LoginInput", input(&[("login", text()), ("password", text())], &[])),
        ("VerifyInput", input(&[("challenge", text()), ("code", text())], &[])),
        ("RefreshInput", input(&[("refresh_token", text())], &[])),
        (
            "RegisterInput",
            input(
                &[
                    ("username", text()),
                    ("email", text()),
                    ("password", text()),
                    ("invite_token", opt_string()),
                    ("roles", nullable(array(text()))),
                    ("phone", opt_string()),
                ],
                &[],
            ),
        ),
        ("EmailInput", input(&[("email", text())], &[])),
        ("ClaimInput", input(&[("email", text()), ("code", text()), ("password", text())], &[])),
        (
            "MagicInput",
            input(&[("token", opt_string()), ("email", opt_string()), ("code", opt_string())], &[]),
        ),
        (
            "ResetInput",
            input(
                &[
                    ("token", opt_string()),
                    ("new_password", text()),
                    ("new_password_confirm", opt_string()),
                ],
                &[],
            ),
        ),
        (
            "ChangePasswordInput",
            input(&[("current_password", text()), ("new_password", text())], &[]),
        ),
        ("TwoFactorInput", input(&[("enabled", boolean())], &[])),
        ("GuestInput", input(&[("display_name", text())], &[])),
        (
            "NewMemberInput",
            input(
                &[
                    ("email", text()),
                    ("first_name", text()),
                    ("last_name", text()),
                    ("phone", opt_string()),
                    ("roles", array(text())),
                ],
                &[],
            ),
        ),
        (
            "InviteInput",
            input(
                &[
                    ("name", opt_string()),
                    ("email", opt_string()),
                    ("roles", array(text())),
                    ("max_uses", nullable(whole())),
                    ("expires_in_days", nullable(whole())),
                ],
                &[],
            ),
        ),
        (
            "SettingsInput",
            input(
                &[
                    ("club_name", opt_string()),
                    ("club_description", opt_string()),
                    ("contact_email", opt_string()),
                    ("club_timezone", opt_string()),
                    ("registration_mode", opt_string()),
                    ("two_factor_policy", opt_string()),
                    ("guest_accounts", nullable(boolean())),
                    ("member_review", nullable(boolean())),
                    ("direct_chat", nullable(boolean())),
                    ("session_idle_minutes", whole_number()),
                    ("session_absolute_minutes", whole_number()),
                    ("backup_interval_hours", whole_number()),
                    ("backup_keep", whole_number()),
                ],
                &[],
            ),
        ),
        ("TestEmailInput", input(&[("to", text())], &["to"])),
        ("RetentionInput", input(&[("days", whole())], &["days"])),
        (
            "ProfileInput",
            input(
                &[
                    ("first_name", answer()),
                    ("last_name", answer()),
                    ("city", answer()),
                    ("state", answer()),
                    ("country", answer()),
                    ("zip", answer()),
                    ("timezone", answer()),
                    ("coach_id", answer()),
                    ("venue", answer()),
                    ("phone", answer()),
                    ("address", answer()),
                    ("emergency_contact_name", answer()),
                    ("emergency_contact_phone", answer()),
                    ("show_email", answer()),
                    ("show_phone", answer()),
                    (
                        "fields",
                        json!({
                            "type": "object",
                            "description": "Answers to the club's own profile fields, by key.",
                            "additionalProperties": answer(),
                        }),
                    ),
                ],
                &[],
            ),
        ),
        (
            "SignInput",
            input(
                &[("full_name", text()), ("accept", boolean()), ("version", nullable(whole()))],
                &[],
            ),
        ),
        (
            "FieldInput",
            input(
                &[
                    ("key", opt_string()),
                    ("label", opt_string()),
                    ("kind", opt_string()),
                    ("required", nullable(boolean())),
                    ("visibility", opt_string()),
                    ("choices", nullable(array(text()))),
                    ("position", nullable(whole())),
                ],
                &[],
            ),
        ),
        ("AgreementInput", input(&[("title", text()), ("body", text())], &[])),
        ("StatusNoteInput", input(&[("note", opt_string())], &[])),
        ("RolesInput", input(&[("roles", array(text()))], &[])),
        ("AccessInput", input(&[("kind", text())], &[])),
        (
            "DeleteMemberInput",
            input(
                &[(
                    "confirm",
                    json!({ "type": "string", "description": "The member's username." }),
                )],
                &[],
            ),
        ),
        ("CommitInput", input(&[("send_invites", boolean())], &[])),
        ("CsvInput", input(&[("csv", text())], &["csv"])),
        (
            "ActivityInput",
            input(
                &[
                    ("member_id", nullable(whole())),
                    ("started_at", opt_string()),
                    ("duration_minutes", nullable(whole())),
                    ("type", opt_string()),
                    ("format", opt_string()),
                    ("venue", opt_string()),
                    ("coach_id", nullable(whole())),
                    ("notes", opt_string()),
                ],
                &[],
            ),
        ),
        (
            "NewTypeInput",
            input(&[("key", text()), ("label", text()), ("position", nullable(whole()))], &[]),
        ),
        (
            "TypeChangeInput",
            input(
                &[
                    ("label", opt_string()),
                    ("position", nullable(whole())),
                    ("archived", nullable(boolean())),
                ],
                &[],
            ),
        ),
        (
            "ServiceInput",
            input(
                &[
                    ("name", opt_string()),
                    ("duration_minutes", nullable(whole())),
                    ("notes", opt_string()),
                    ("archived", nullable(boolean())),
                ],
                &[],
            ),
        ),
        (
            "BookingInput",
            input(
                &[
                    ("service_id", nullable(whole())),
                    ("requested_start", opt_string()),
                    ("notes", opt_string()),
                ],
                &[],
            ),
        ),
        ("DecisionInput", input(&[("message", opt_string())], &[])),
        ("CompleteInput", input(&[("type", opt_string()), ("format", opt_string())], &[])),
        ("ContactPreferenceInput", input(&[("contact_preference", opt_string())], &[])),
        (
            "NoticeInput",
            input(
                &[
                    ("subject", opt_string()),
                    ("body", opt_string()),
                    (
                        "to",
                        json!({
                            "description": "Who receives it: every active member, those with a role, or the members named.",
                            "oneOf": [
                                { "type": "string", "const": "all" },
                                { "type": "object", "additionalProperties": false, "required": ["role"], "properties": { "role": { "type": "string" } } },
                                { "type": "object", "additionalProperties": false, "required": ["member_ids"], "properties": { "member_ids": array(whole()) } },
                            ],
                        }),
                    ),
                    ("email", nullable(boolean())),
                ],
                &["to"],
            ),
        ),
        ("ReplyInput", input(&[("body", opt_string())], &[])),
        ("NoticeSettingsInput", input(&[("email_notices", nullable(boolean()))], &[])),
        (
            "GroupInput",
            input(
                &[
                    ("name", opt_string()),
                    ("description", opt_string()),
                    ("member_ids", array(whole())),
                ],
                &[],
            ),
        ),
        ("DirectInput", input(&[("member_id", nullable(whole()))], &[])),
        ("MembersInput", input(&[("member_ids", array(whole()))], &[])),
        ("RenameInput", input(&[("name", opt_string()), ("description", opt_string())], &[])),
        (
            "MessageInput",
            input(&[("content", opt_string()), ("client_sent_at", opt_string())], &[]),
        ),
        ("ReadInput", input(&[("message_id", nullable(whole()))], &[])),
        (
            "ExchangeInput",
            input(
                &[
                    ("name", opt_string()),
                    ("description", opt_string()),
                    ("budget", opt_string()),
                    ("max_participants", nullable(whole())),
                    ("registration_close_date", opt_string()),
                    ("exchange_date", opt_string()),
                    ("timezone", opt_string()),
                ],
                &[],
            ),
        ),
        (
            "ActionInput",
            input(
                &[
                    ("confirm", nullable(boolean())),
                    (
                        "seed",
                        nullable(json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })),
                    ),
                ],
                &[],
            ),
        ),
        ("ExchangeDeleteInput", input(&[("confirm", opt_string())], &[])),
        (
            "ExchangeRegisterInput",
            input(
                &[
                    ("name", opt_string()),
                    ("email", opt_string()),
                    ("gift_ideas", opt_string()),
                    ("reminders", nullable(boolean())),
                ],
                &[],
            ),
        ),
        (
            "JoinInput",
            input(&[("gift_ideas", opt_string()), ("reminders", nullable(boolean()))], &[]),
        ),
        ("AccessRequestInput", input(&[("email", text())], &[])),
        (
            "MeInput",
            input(
                &[
                    ("name", opt_string()),
                    ("gift_ideas", opt_string()),
                    ("reminders", nullable(boolean())),
                ],
                &[],
            ),
        ),
        (
            "ExclusionInput",
            input(
                &[("participant_a", nullable(whole())), ("participant_b", nullable(whole()))],
                &[],
            ),
        ),
        ("OrganizerInput", input(&[("organizer", boolean())], &["organizer"])),
        (
            "NotificationsInput",
            input(
                &[
                    ("registration", nullable(boolean())),
                    ("withdrawal", nullable(boolean())),
                    ("matched", nullable(boolean())),
                ],
                &[],
            ),
        ),
        (
            "ScheduleInput",
            input(
                &[
                    (
                        "reminder_days",
                        json!({ "description": "Days before the exchange to remind participants: a list of whole numbers, or null for the default." }),
                    ),
                    (
                        "notify",
                        nullable(input(
                            &[
                                ("registration", nullable(boolean())),
                                ("withdrawal", nullable(boolean())),
                                ("matched", nullable(boolean())),
                            ],
                            &[],
                        )),
                    ),
                ],
                &[],
            ),
        ),
    ]
}

/// An integer as the server reads it (64 bits, signed).
fn whole() -> Value {
    json!({ "type": "integer", "minimum": i64::MIN, "maximum": i64::MAX })
}

/// A profile answer: any JSON scalar (stored as its text), null to clear it.
fn answer() -> Value {
    json!({ "type": ["string", "number", "integer", "boolean", "null"] })
}

/// A whole number, as a JSON number or as text.
fn whole_number() -> Value {
    json!({ "type": ["integer", "string", "null"] })
}
