//! Conversations, their members and their messages.

crate::values::string_enum! {
    /// A group the admins set up, or a one-to-one conversation between two members.
    #[schemars(rename = "ConversationKind")]
    pub(crate) enum Kind {
        Group = "group",
        Direct = "direct",
    }
}

crate::values::string_enum! {
    /// What a member may do in a group: owners manage it like admins do.
    pub(crate) enum MemberRole {
        Owner = "owner",
        Member = "member",
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub id: i64,
    pub kind: Kind,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub last_message_id: Option<i64>,
}

/// One person in a conversation.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub user_id: i64,
    pub name: String,
    pub role: MemberRole,
    pub joined_at: i64,
    /// May use the member area now (a disabled account stays listed but receives nothing).
    pub active: bool,
}

/// A message with its author's name (None once the author's account is deleted).
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub content: String,
    pub sent_at: i64,
    pub client_sent_at: Option<String>,
}

/// A line of a conversation list: the conversation, its newest message, and for the viewer
/// how many messages by others they have not read (None when they are not a member).
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub conversation: Conversation,
    /// For a one-to-one conversation: the other person's name (None when their account is gone).
    pub other_name: Option<String>,
    pub last_message: Option<Message>,
    pub unread: Option<i64>,
}

impl Summary {
    /// When something last happened: the newest message, or the creation.
    pub(crate) fn activity_at(&self) -> i64 {
        self.last_message.as_ref().map_or(self.conversation.created_at, |m| m.sent_at)
    }
}

/// The key that makes one one-to-one conversation per pair: `"<lower id>:<higher id>"`.
pub(crate) fn direct_key(a: i64, b: i64) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_has_one_key_whoever_starts() {
        assert_eq!(direct_key(7, 3), "3:7");
        assert_eq!(direct_key(3, 7), "3:7");
    }

    #[test]
    fn kinds_and_roles_round_trip() {
        for k in [Kind::Group, Kind::Direct] {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        for r in [MemberRole::Owner, MemberRole::Member] {
            assert_eq!(r.as_str().parse::<MemberRole>(), Ok(r));
        }
        assert!("channel".parse::<Kind>().is_err());
        assert!("admin".parse::<MemberRole>().is_err());
    }
}
