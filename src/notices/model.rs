//! Notices, their recipients' copies and the reply threads under them.

use serde_json::Value;

use crate::accounts::model::Role;

/// The roles a notice can be addressed to. Guests are not members, so they never receive one.
pub(crate) const AUDIENCE_ROLES: [Role; 4] =
    [Role::Admin, Role::Coach, Role::Member, Role::Guardian];

/// Who an admin asked to send a notice to, before it is checked against the members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recipients {
    /// Every active member.
    All,
    /// Every active member with this role (a name as given: checked later).
    Role(String),
    /// These members, by id.
    Members(Vec<i64>),
    /// The request did not say it in a form we read; the message says what to send.
    Unreadable(String),
}

const TO_SHAPE: &str =
    r#"Send "all", {"role": "coach"} or {"member_ids": [12, 15]} to say who receives it."#;

impl Recipients {
    /// Reads the `to` of a JSON request: `"all"`, `{"role": name}` or `{"member_ids": [ids]}`.
    pub(crate) fn from_json(to: Option<&Value>) -> Recipients {
        let unreadable = || Recipients::Unreadable(TO_SHAPE.to_string());
        match to {
            Some(Value::String(word)) if word == "all" => Recipients::All,
            Some(Value::Object(map)) if map.len() == 1 => {
                if let Some(role) = map.get("role") {
                    match role.as_str() {
                        Some(role) => Recipients::Role(role.to_string()),
                        None => unreadable(),
                    }
                } else if let Some(ids) = map.get("member_ids") {
                    let ids: Option<Vec<i64>> =
                        ids.as_array().and_then(|a| a.iter().map(Value::as_i64).collect());
                    match ids {
                        Some(ids) => Recipients::Members(ids),
                        None => Recipients::Unreadable(
                            "member_ids must be a list of member ids, like [12, 15].".into(),
                        ),
                    }
                } else {
                    unreadable()
                }
            }
            _ => unreadable(),
        }
    }
}

/// How the recipients of a sent notice were chosen, as stored in `notices.audience`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    All,
    Role(Role),
    Members,
}

impl Audience {
    pub(crate) fn stored(self) -> String {
        match self {
            Audience::All => "all".into(),
            Audience::Role(role) => format!("role:{}", role.as_str()),
            Audience::Members => "members".into(),
        }
    }

    /// Reads a stored value; anything unknown counts as chosen members (the least claim).
    pub(crate) fn from_stored(stored: &str) -> Audience {
        match stored {
            "all" => Audience::All,
            _ => match stored.strip_prefix("role:").and_then(|r| r.parse::<Role>().ok()) {
                Some(role) => Audience::Role(role),
                None => Audience::Members,
            },
        }
    }

    /// How the admin pages name it.
    pub(crate) fn label(self) -> String {
        match self {
            Audience::All => "All members".into(),
            Audience::Role(role) => format!("Everyone with the {} role", role.as_str()),
            Audience::Members => "Chosen members".into(),
        }
    }
}

/// A person as notices name them.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: i64,
    pub name: String,
}

/// A member's copy of a notice, with what the notice says.
#[derive(Debug, Clone)]
pub(crate) struct Copy {
    pub id: i64,
    pub notice_id: i64,
    pub user_id: i64,
    pub subject: String,
    pub body: String,
    /// Null once the sender's account is gone.
    pub sender: Option<Person>,
    pub sent_at: i64,
    pub read_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// Messages in its thread, both sides.
    pub replies: i64,
}

/// One message in the thread under a copy.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub id: i64,
    pub copy_id: i64,
    pub author: Option<Person>,
    pub from_admin: bool,
    pub body: String,
    pub created_at: i64,
    pub admin_read_at: Option<i64>,
}

/// A sent notice with its counts, for the admins.
#[derive(Debug, Clone)]
pub(crate) struct SentNotice {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub audience: Audience,
    pub email: bool,
    pub sender: Option<Person>,
    pub created_at: i64,
    pub recipients: i64,
    pub read: i64,
    pub deleted: i64,
    /// Replies written by members.
    pub replies: i64,
    /// Members' replies no admin has read yet.
    pub unread_replies: i64,
}

/// One recipient of a sent notice and the state of their copy.
#[derive(Debug, Clone)]
pub(crate) struct Recipient {
    pub copy_id: i64,
    pub user_id: i64,
    pub name: String,
    pub username: String,
    pub read_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

/// A recipient as the notice email needs them.
#[derive(Debug, Clone)]
pub(crate) struct Addressee {
    pub email: String,
    pub name: String,
    /// They want an email when a notice arrives.
    pub notice_emails: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_audience_of_a_request_is_read_in_its_three_shapes() {
        assert_eq!(Recipients::from_json(Some(&json!("all"))), Recipients::All);
        assert_eq!(
            Recipients::from_json(Some(&json!({"role": "coach"}))),
            Recipients::Role("coach".into())
        );
        assert_eq!(
            Recipients::from_json(Some(&json!({"member_ids": [3, 4, 3]}))),
            Recipients::Members(vec![3, 4, 3])
        );
        for odd in [
            json!("everyone"),
            json!({"role": 3}),
            json!({"member_ids": "3"}),
            json!({"member_ids": [1.5]}),
            json!({"role": "coach", "member_ids": [1]}),
            json!({"group": "a"}),
            json!([1, 2]),
        ] {
            assert!(
                matches!(Recipients::from_json(Some(&odd)), Recipients::Unreadable(_)),
                "{odd}"
            );
        }
        assert!(matches!(Recipients::from_json(None), Recipients::Unreadable(_)));
    }

    #[test]
    fn stored_audiences_round_trip() {
        for audience in [Audience::All, Audience::Role(Role::Coach), Audience::Members] {
            assert_eq!(Audience::from_stored(&audience.stored()), audience);
        }
        assert_eq!(Audience::from_stored("role:nobody"), Audience::Members);
    }
}
