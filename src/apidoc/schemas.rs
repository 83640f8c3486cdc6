//! The named shapes of the document (`components/schemas`), generated from the Rust types the
//! handlers answer with and read (`#[derive(JsonSchema)]` on them), so that a field cannot be
//! added, renamed or made optional on the server without the document saying so. A schema is
//! named after its type, or after the `#[schemars(rename)]` on it; the descriptions are the
//! types' own doc comments.
//!
//! Answers are generated for what serde writes: a field is `required` unless it has
//! `skip_serializing_if`, and `null` is allowed where the type holds an `Option`, except in an
//! `Option` left out when empty, which is never null and says so with `#[schemars(with)]`.
//! Request bodies are generated for what serde reads (with `deny_unknown_fields`, nothing else
//! is allowed).

use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};

use super::spec::r;

/// Asks the generator for each type's schema; it files them, with those of the types they
/// hold, under their names.
macro_rules! register {
    ($generator:expr; $($ty:ty),* $(,)?) => {
        $( $generator.subschema_for::<$ty>(); )*
    };
}

/// Every named schema of the document.
pub(crate) fn all() -> Map<String, Value> {
    let mut schemas = generate(SchemaSettings::draft2020_12().for_serialize(), answers);
    schemas.extend(not_types().into_iter().map(|(name, schema)| (name.to_string(), schema)));
    name_titled(&mut schemas);
    schemas.values_mut().for_each(|schema| tidy(schema, false));
    for (name, mut schema) in generate(SchemaSettings::draft2020_12().for_deserialize(), bodies) {
        tidy(&mut schema, true);
        if let Some(answer) = schemas.get(&name) {
            assert_eq!(answer, &schema, "{name} is both an answer and a body, of two shapes");
        }
        schemas.insert(name, schema);
    }
    schemas
}

fn generate(settings: SchemaSettings, register: fn(&mut SchemaGenerator)) -> Map<String, Value> {
    let mut generator = settings
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    register(&mut generator);
    generator.take_definitions(true)
}

/// The JSON bodies of the answers, as the handlers return them.
fn answers(g: &mut SchemaGenerator) {
    use crate::{accounts, activities, admin, backups, bookings, cards, chat, gifts};
    use crate::{invites, members, notices, people};
    register!(g;
        crate::error::ErrorBody<'static>,
        accounts::views::MessageView,
        accounts::views::SessionView,
        accounts::views::LoggedOutView,
        accounts::views::RegisteredView,
        accounts::api::CheckView,
        accounts::api::LoginResponse,
        accounts::tokens::TokenPair,
        accounts::service::DevicesView,
        accounts::api::EnrolledView,
        accounts::factors::service::FactorsView,
        accounts::factors::service::AppEnrolmentView,
        accounts::factors::service::RecoveryCodesView,
        accounts::passkeys::views::PasskeyView,
        accounts::passkeys::views::PasskeyList,
        accounts::passkeys::views::CeremonyView,
        people::preregister::CreatedMember,
        invites::views::CreatedInvite,
        invites::views::InviteView,
        invites::views::InvitePreflight,
        members::views::OnboardingView,
        members::views::ProfileView,
        members::views::DirectoryList,
        people::views::MemberDetail,
        members::views::AgreementAdminView,
        members::model::ProfileField,
        people::views::PersonSummary,
        people::views::ImportPreview,
        people::views::ImportResult,
        people::views::SessionsEnded,
        people::views::AccessSent,
        people::views::DeletionView,
        people::views::Deleted,
        activities::views::ActivityView,
        activities::views::ActivityList,
        activities::views::TypeView,
        activities::views::AdminTypeView,
        activities::views::TypeRemoval,
        activities::views::CoachedMembers,
        activities::api::Deleted,
        bookings::views::ServiceView,
        bookings::views::RemovedService,
        bookings::views::BookingView,
        bookings::views::FeedView,
        cards::views::Card,
        cards::views::OwnCard,
        cards::views::Shared,
        cards::views::ContactPreferenceView,
        notices::views::MessageList,
        notices::views::MessageItem,
        notices::views::MessageDetail,
        notices::views::ReplyView,
        notices::views::DeletedView,
        notices::views::SettingsView,
        notices::views::SentList,
        notices::views::SentNoticeView,
        notices::views::NoticeDetail,
        chat::views::SummaryView,
        chat::views::ConversationView,
        chat::views::HistoryView,
        chat::views::MessageView,
        chat::views::ReadView,
        chat::views::LeftView,
        gifts::views::ExchangeList,
        gifts::views::ExchangeView,
        gifts::views::MyExchangeView,
        gifts::views::ParticipantView,
        gifts::views::RemovedParticipant,
        gifts::views::ExclusionView,
        gifts::views::MatchView,
        gifts::views::MatchProblem,
        gifts::views::MessageView,
        gifts::views::Withdrawn,
        gifts::views::AssignmentView,
        gifts::views::PublicExchangeView,
        gifts::views::Registered,
        gifts::views::OrganizerView,
        gifts::notify::NotifyPrefs,
        gifts::prefs::views::ScheduleView,
        admin::views::Dashboard,
        admin::views::SettingsView,
        admin::outbox::views::OutboxList,
        admin::outbox::views::OutboxItem,
        admin::outbox::views::CopiedLink,
        admin::outbox::views::TestEmailResult,
        admin::audit::views::AuditList,
        admin::audit::views::RetentionView,
        backups::views::BackupsView,
        backups::views::BackupView,
    );
}

/// The request bodies, as the handlers read them.
fn bodies(g: &mut SchemaGenerator) {
    use crate::{accounts, activities, admin, bookings, cards, chat, gifts};
    use crate::{invites, members, notices, people};
    register!(g;
        accounts::input::LoginInput,
        accounts::input::VerifyInput,
        accounts::input::ChallengeInput,
        accounts::input::EnrolInput,
        accounts::input::CodeInput,
        accounts::input::RefreshInput,
        accounts::input::RegisterInput,
        accounts::input::EmailInput,
        accounts::input::ClaimInput,
        accounts::input::MagicInput,
        accounts::input::ResetInput,
        accounts::input::ChangePasswordInput,
        accounts::input::TwoFactorInput,
        accounts::input::GuestInput,
        accounts::passkeys::input::NewPasskeyInput,
        accounts::passkeys::input::PasskeyNameInput,
        accounts::passkeys::input::PasskeyLoginInput,
        people::input::NewMemberInput,
        invites::input::InviteInput,
        admin::input::SettingsInput,
        admin::outbox::input::TestEmailInput,
        admin::audit::input::RetentionInput,
        members::input::ProfileInput,
        members::input::SignInput,
        members::input::FieldInput,
        members::input::AgreementInput,
        people::input::StatusNoteInput,
        people::input::RolesInput,
        people::input::AccessInput,
        people::input::DeleteInput,
        people::input::CommitInput,
        people::api::CsvBody,
        activities::input::ActivityInput,
        activities::input::NewTypeInput,
        activities::input::TypeChangeInput,
        bookings::input::ServiceInput,
        bookings::input::BookingInput,
        bookings::input::DecisionInput,
        bookings::input::CompleteInput,
        cards::input::ContactPreferenceInput,
        notices::input::NoticeInput,
        notices::input::ReplyInput,
        notices::input::SettingsInput,
        chat::input::GroupInput,
        chat::input::DirectInput,
        chat::input::MembersInput,
        chat::input::RenameInput,
        chat::input::MessageInput,
        chat::input::ReadInput,
        gifts::input::ExchangeInput,
        gifts::input::ActionInput,
        gifts::input::DeleteInput,
        gifts::input::RegisterInput,
        gifts::input::JoinInput,
        gifts::input::AccessRequestInput,
        gifts::input::MeInput,
        gifts::input::ExclusionInput,
        gifts::input::OrganizerInput,
        gifts::prefs::input::NotificationsInput,
        gifts::prefs::input::ScheduleInput,
    );
}

/// A shape without a type of its own (an enum's struct variant) that is given a `title` becomes a
/// named schema too, so that the document can point to it.
fn name_titled(schemas: &mut Map<String, Value>) {
    fn take(value: &mut Value, found: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                // Checked before it is taken: a property may be called `title` too.
                if let Some(Value::String(name)) = map.get("title").cloned() {
                    map.remove("title");
                    found.push((name.clone(), std::mem::replace(value, r(&name))));
                    return;
                }
                map.values_mut().for_each(|v| take(v, found));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| take(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for schema in schemas.values_mut() {
        if let Value::Object(map) = schema {
            map.values_mut().for_each(|v| take(v, &mut found));
        }
    }
    for (name, schema) in found {
        assert!(!schemas.contains_key(&name), "{name} names two schemas");
        schemas.insert(name, schema);
    }
}

/// Answers that no Rust type describes: a handler writes them with `json!`.
fn not_types() -> Vec<(&'static str, Value)> {
    vec![
        // `DELETE /api/v1/card/share`.
        (
            "Status",
            json!({
                "type": "object",
                "required": ["status"],
                "properties": { "status": { "type": "string", "const": "ok" } },
            }),
        ),
        // The 409 of match and rematch: the usual error body, whose `error` also explains the
        // problem (`MatchProblem`).
        (
            "NoMatch",
            json!({
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "allOf": [
                            r("MatchProblem"),
                            {
                                "type": "object",
                                "required": ["code", "fields"],
                                "properties": {
                                    "code": { "type": "string", "const": "no_match_possible" },
                                    "fields": { "type": "object" },
                                },
                            },
                        ],
                    },
                },
            }),
        ),
        ("OpenApiDocument", json!({ "type": "object", "required": ["openapi", "info", "paths"] })),
    ]
}

/// What the generated schemas say in Rust's terms, said for a JSON client. `body`: the schema
/// is of a request body.
fn tidy(schema: &mut Value, body: bool) {
    let Value::Object(map) = schema else { return };
    // A 64-bit integer a client sends, bounded, so that generated examples stay within what the
    // server reads.
    let bounds = match map.get("format").and_then(Value::as_str) {
        Some("int64") if body => Some((json!(i64::MIN), json!(i64::MAX))),
        Some("uint64") if body => Some((json!(0), json!(u64::MAX))),
        _ => None,
    };
    if let Some((min, max)) = bounds {
        map.entry("minimum").or_insert(min);
        map.entry("maximum").or_insert(max);
    }
    // Serde's fallback for a field left out, not a value a client should send.
    map.remove("default");
    // Doc comments wrap at 100 columns; a description is read unwrapped.
    if let Some(Value::String(text)) = map.get_mut("description") {
        *text = unwrap_lines(text);
    }
    string_enum(map);
    for (key, value) in map.iter_mut() {
        match (key.as_str(), value) {
            ("properties" | "patternProperties", Value::Object(named)) => {
                named.values_mut().for_each(|schema| tidy(schema, body));
            }
            ("enum" | "const" | "required" | "examples", _) => {}
            (_, Value::Array(items)) => items.iter_mut().for_each(|schema| tidy(schema, body)),
            (_, value) => tidy(value, body),
        }
    }
}

/// A unit enum some of whose variants have doc comments comes out as a `oneOf` of strings,
/// one per documented variant: made one `enum` again, the variants' docs in its description.
fn string_enum(map: &mut Map<String, Value>) {
    let Some(Value::Array(options)) = map.get("oneOf") else { return };
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for option in options {
        let Some(option) = option.as_object() else { return };
        let plain =
            option.keys().all(|k| ["type", "const", "enum", "description"].contains(&k.as_str()));
        if !plain || option.get("type") != Some(&json!("string")) {
            return;
        }
        let mut these: Vec<Value> =
            option.get("enum").and_then(Value::as_array).cloned().unwrap_or_default();
        these.extend(option.get("const").cloned());
        if these.is_empty() {
            return;
        }
        if let (Some(Value::String(note)), [Value::String(value)]) =
            (option.get("description"), these.as_slice())
        {
            notes.push(format!("`{value}`: {}", unwrap_lines(note)));
        }
        values.extend(these);
    }
    map.remove("oneOf");
    map.insert("type".into(), json!("string"));
    map.insert("enum".into(), Value::Array(values));
    if !notes.is_empty() {
        let about = map.get("description").and_then(Value::as_str).map(str::to_string);
        let notes = notes.join(" ");
        let text = about.map_or(notes.clone(), |about| format!("{about} {notes}"));
        map.insert("description".into(), json!(text));
    }
}

/// Joins the lines of each paragraph, keeping the blank lines between paragraphs.
fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| paragraph.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema<'a>(schemas: &'a Map<String, Value>, name: &str) -> &'a Value {
        schemas.get(name).unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn required(schema: &Value) -> Vec<&str> {
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
    }

    #[test]
    fn two_types_never_share_a_name() {
        // The generator names the second type of a taken name `Name2`.
        for name in all().keys() {
            assert!(!name.ends_with(|c: char| c.is_ascii_digit()), "{name}: rename one of the two");
        }
    }

    #[test]
    fn an_answer_requires_what_serde_always_writes_and_allows_null_for_options() {
        let schemas = all();
        let device = schema(&schemas, "Device");
        let mut written = required(device);
        written.sort_unstable();
        assert_eq!(written, ["created_at", "current", "id", "ip", "last_seen_at", "user_agent"]);
        assert_eq!(device["properties"]["last_seen_at"]["type"], json!(["string", "null"]));
        assert_eq!(device["properties"]["last_seen_at"]["format"], "date-time");
        assert_eq!(device["properties"]["created_at"]["type"], "string");
        // An `Option` of a named type is that type or null.
        let system = &schema(&schemas, "Dashboard")["properties"]["system"];
        assert_eq!(system["anyOf"], json!([r("System"), { "type": "null" }]));
        // Left out when empty: not required, and never null.
        let service = schema(&schemas, "Service");
        assert!(!required(service).contains(&"bookings"));
        assert_eq!(service["properties"]["bookings"]["type"], "integer");
        let booking = schema(&schemas, "Booking");
        assert!(!required(booking).contains(&"member"));
        assert_eq!(booking["properties"]["member"], r("BookingMember"));
        // A flattened struct's fields are the outer one's.
        let detail = schema(&schemas, "NoticeDetail");
        for field in ["id", "subject", "sender", "body", "thread"] {
            assert!(required(detail).contains(&field), "{field}");
        }
    }

    #[test]
    fn a_body_is_closed_and_requires_only_what_serde_cannot_do_without() {
        let schemas = all();
        let login = schema(&schemas, "LoginInput");
        assert_eq!(login["additionalProperties"], false);
        assert!(required(login).is_empty(), "missing fields are the service's to name");
        assert!(login["properties"].get("next").is_none(), "skipped by serde");
        let retention = schema(&schemas, "RetentionInput");
        assert_eq!(required(retention), ["days"]);
        let days = &retention["properties"]["days"];
        assert_eq!((&days["minimum"], &days["maximum"]), (&json!(i64::MIN), &json!(i64::MAX)));
        assert_eq!(required(schema(&schemas, "NoticeInput")), ["to"]);
        let minutes = &schema(&schemas, "SettingsInput")["properties"]["session_idle_minutes"];
        assert_eq!(minutes["type"], json!(["integer", "string", "null"]));
        let seed = &schema(&schemas, "ActionInput")["properties"]["seed"];
        assert_eq!((&seed["minimum"], &seed["maximum"]), (&json!(0), &json!(u64::MAX)));
    }

    #[test]
    fn a_titled_variant_is_named_and_a_property_called_title_stays() {
        let schemas = all();
        let login = schema(&schemas, "LoginAnswer");
        assert!(login["anyOf"].as_array().unwrap().contains(&r("TwoFactorChallenge")));
        let challenge = schema(&schemas, "TwoFactorChallenge");
        assert_eq!(required(challenge), ["two_factor_required", "challenge", "methods"]);
        assert!(challenge.get("title").is_none());
        assert_eq!(schema(&schemas, "AgreementVersion")["properties"]["title"]["type"], "string");
    }

    #[test]
    fn string_enums_list_their_values() {
        let schemas = all();
        let role = schema(&schemas, "Role");
        assert_eq!(role["type"], "string");
        let mut values: Vec<&str> =
            role["enum"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        values.sort_unstable();
        assert_eq!(values, ["admin", "coach", "guardian", "guest", "member", "organizer"]);
        assert!(role["description"].as_str().unwrap().contains("`organizer`: "));
        assert_eq!(schema(&schemas, "Schedule")["properties"]["state"], r("ExchangeState"));
        assert_eq!(schema(&schemas, "TokenPair")["properties"]["token_type"]["const"], "Bearer");
    }

    #[test]
    fn descriptions_read_as_one_line_per_paragraph() {
        assert_eq!(unwrap_lines("one\ntwo\n\nthree"), "one two\n\nthree");
        let schemas = all();
        let text = schema(&schemas, "ActivityInput")["description"].as_str().unwrap();
        assert!(!text.contains('\n'), "{text}");
    }
}
