//! Exchanges, their states and the moves between them, participants, exclusions.

use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::zone;

crate::values::string_enum! {
    /// Where an exchange is in its life.
    pub(crate) enum ExchangeState {
        /// Being prepared; nobody can register yet.
        Draft = "draft",
        RegistrationOpen = "registration_open",
        RegistrationClosed = "registration_closed",
        /// The gift cycle is drawn and everyone knows whom they give to.
        Matched = "matched",
        /// Over; purged some days later.
        Completed = "completed",
    }
}

impl ExchangeState {
    /// How pages show it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ExchangeState::Draft => "Draft",
            ExchangeState::RegistrationOpen => "Registration open",
            ExchangeState::RegistrationClosed => "Registration closed",
            ExchangeState::Matched => "Matched",
            ExchangeState::Completed => "Completed",
        }
    }

    /// Whether the drawn cycle exists (and so the participant list and details are frozen).
    pub(crate) fn is_drawn(self) -> bool {
        matches!(self, ExchangeState::Matched | ExchangeState::Completed)
    }
}

crate::values::string_enum! {
    /// The moves between states; each is one admin action.
    #[schemars(rename = "ExchangeAction")]
    pub(crate) enum Action {
        Open = "open",
        Close = "close",
        Reopen = "reopen",
        Match = "match",
        Rematch = "rematch",
        Complete = "complete",
    }
}

impl Action {
    /// Whether the action may start from `state`.
    pub(crate) fn allowed_from(self, state: ExchangeState) -> bool {
        use ExchangeState::*;
        matches!(
            (self, state),
            (Action::Open, Draft)
                | (Action::Close, RegistrationOpen)
                | (Action::Reopen, RegistrationClosed | Matched)
                | (Action::Match, RegistrationClosed)
                | (Action::Rematch | Action::Complete, Matched)
        )
    }

    /// Whether the action from `state` throws away the drawn cycle, and so must be confirmed.
    pub(crate) fn needs_confirmation(self, state: ExchangeState) -> bool {
        matches!((self, state), (Action::Reopen | Action::Rematch, ExchangeState::Matched))
    }

    pub(crate) fn target(self) -> ExchangeState {
        match self {
            Action::Open | Action::Reopen => ExchangeState::RegistrationOpen,
            Action::Close => ExchangeState::RegistrationClosed,
            Action::Match | Action::Rematch => ExchangeState::Matched,
            Action::Complete => ExchangeState::Completed,
        }
    }

    /// The actions possible from `state`, in the order pages offer them.
    pub(crate) fn from_state(state: ExchangeState) -> Vec<Action> {
        Action::ALL.into_iter().filter(|a| a.allowed_from(state)).collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub budget: String,
    pub max_participants: Option<i64>,
    /// YYYY-MM-DD in the exchange's zone: the last day people can register.
    pub registration_close_date: String,
    /// YYYY-MM-DD in the exchange's zone.
    pub exchange_date: String,
    pub timezone: String,
    pub state: ExchangeState,
    pub created_at: i64,
    pub updated_at: i64,
    pub matched_at: Option<i64>,
    pub completed_at: Option<i64>,
}

impl Exchange {
    /// Today's date where the exchange happens.
    pub(crate) fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&zone(&self.timezone)).date_naive()
    }

    /// Whether the close date has passed (registration refuses then, whatever the state).
    pub(crate) fn past_close_date(&self, now: DateTime<Utc>) -> bool {
        match NaiveDate::parse_from_str(&self.registration_close_date, "%Y-%m-%d") {
            Ok(close) => self.today(now) > close,
            Err(_) => true,
        }
    }

    /// Whether people can register now (before counting places).
    pub(crate) fn accepts_registrations(&self, now: DateTime<Utc>) -> bool {
        self.state == ExchangeState::RegistrationOpen && !self.past_close_date(now)
    }

    /// Whole days until a completed exchange is purged (0 when due).
    pub(crate) fn purge_in_days(&self, now: i64, purge_after_days: i64) -> Option<i64> {
        let completed = self.completed_at.filter(|_| self.state == ExchangeState::Completed)?;
        let due = completed + purge_after_days * 86_400;
        Some(((due - now).max(0) + 86_399) / 86_400)
    }
}

crate::values::string_enum! {
    /// How a participant left an exchange.
    pub(crate) enum RemovedHow {
        /// By themselves.
        Withdrew = "withdrew",
        /// By an admin or organizer.
        Removed = "removed",
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub id: i64,
    pub exchange_id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub gift_ideas: String,
    pub reminders: bool,
    pub created_at: i64,
    pub removed_at: Option<i64>,
    pub removed_how: Option<RemovedHow>,
}

impl Participant {
    pub(crate) fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }

    /// active, withdrew or removed.
    pub(crate) fn status(&self) -> &'static str {
        match (self.removed_at, self.removed_how) {
            (None, _) => "active",
            (Some(_), Some(how)) => how.as_str(),
            (Some(_), None) => "removed",
        }
    }
}

/// Two participants who must not draw each other; `participant_a < participant_b`.
#[derive(Debug, Clone)]
pub(crate) struct Exclusion {
    pub id: i64,
    pub participant_a: i64,
    pub participant_b: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_actions_follow_the_spec() {
        for s in ExchangeState::ALL {
            assert_eq!(s.as_str().parse::<ExchangeState>().unwrap(), s);
        }
        use ExchangeState::*;
        assert_eq!(Action::from_state(Draft), vec![Action::Open]);
        assert_eq!(Action::from_state(RegistrationOpen), vec![Action::Close]);
        assert_eq!(Action::from_state(RegistrationClosed), vec![Action::Reopen, Action::Match]);
        assert_eq!(
            Action::from_state(Matched),
            vec![Action::Reopen, Action::Rematch, Action::Complete]
        );
        assert!(Action::from_state(Completed).is_empty());
        assert!(Action::Reopen.needs_confirmation(Matched));
        assert!(!Action::Reopen.needs_confirmation(RegistrationClosed));
    }

    #[test]
    fn purge_days_count_down_from_completion() {
        let mut e = Exchange {
            id: 1,
            slug: String::new(),
            name: String::new(),
            description: String::new(),
            budget: String::new(),
            max_participants: None,
            registration_close_date: "2026-12-01".into(),
            exchange_date: "2026-12-20".into(),
            timezone: "UTC".into(),
            state: ExchangeState::Completed,
            created_at: 0,
            updated_at: 0,
            matched_at: None,
            completed_at: Some(0),
        };
        assert_eq!(e.purge_in_days(0, 30), Some(30));
        assert_eq!(e.purge_in_days(86_400 * 29 + 1, 30), Some(1));
        assert_eq!(e.purge_in_days(86_400 * 31, 30), Some(0));
        e.state = ExchangeState::Matched;
        assert_eq!(e.purge_in_days(0, 30), None);
    }
}
