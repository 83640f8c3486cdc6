//! Services the club offers, members' bookings of them, and calendar feeds.

use serde::Serialize;

/// Something members can book (a lesson, a fitting, a walk), with its usual length.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub id: i64,
    pub name: String,
    pub duration_minutes: i64,
    pub notes: String,
    /// Archived services stay on old bookings but cannot be booked.
    pub archived_at: Option<i64>,
}

crate::values::string_enum! {
    /// Where a booking is in its life.
    pub(crate) enum BookingStatus {
        /// Requested by the member, waiting for an admin.
        Pending = "pending",
        Confirmed = "confirmed",
        Declined = "declined",
        /// Withdrawn by the member.
        Cancelled = "cancelled",
        /// Took place; an activity was recorded for it.
        Completed = "completed",
    }
}

/// A booking with the names that go with it.
#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub id: i64,
    pub user_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub requested_start: i64,
    pub duration_minutes: i64,
    pub notes: String,
    pub status: BookingStatus,
    pub admin_message: String,
    pub decided_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub activity_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The member's name as admins see it.
    pub member_name: String,
    pub member_username: String,
}

impl Booking {
    pub(crate) fn ends_at(&self) -> i64 {
        self.requested_start + self.duration_minutes * 60
    }

    /// Why the member may not cancel it now, or None when they may: a pending request can
    /// always be withdrawn, a confirmed booking only before it starts.
    pub(crate) fn cancel_refusal(&self, now: i64) -> Option<&'static str> {
        match self.status {
            BookingStatus::Pending => None,
            BookingStatus::Confirmed if self.requested_start > now => None,
            BookingStatus::Confirmed => {
                Some("This booking has already started, so it can no longer be cancelled.")
            }
            BookingStatus::Declined => {
                Some("This booking was declined; there is nothing to cancel.")
            }
            BookingStatus::Cancelled => Some("This booking is already cancelled."),
            BookingStatus::Completed => {
                Some("This booking has taken place, so it can no longer be cancelled.")
            }
        }
    }
}

/// The person a booking belongs to, as emails and time display need them.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub email: String,
    pub name: String,
    /// IANA zone name; '' = UTC.
    pub timezone: String,
    pub active: bool,
}

/// An activity type that a completed booking can be recorded as.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ActivityType {
    pub id: i64,
    pub key: String,
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(status: BookingStatus, start: i64) -> Booking {
        Booking {
            id: 1,
            user_id: 1,
            service_id: 1,
            service_name: "Lesson".into(),
            requested_start: start,
            duration_minutes: 30,
            notes: String::new(),
            status,
            admin_message: String::new(),
            decided_at: None,
            completed_at: None,
            activity_id: None,
            created_at: 0,
            updated_at: 0,
            member_name: "Kim".into(),
            member_username: "kim".into(),
        }
    }

    #[test]
    fn only_pending_or_future_confirmed_bookings_can_be_cancelled() {
        assert!(booking(BookingStatus::Pending, 10).cancel_refusal(100).is_none());
        assert!(booking(BookingStatus::Confirmed, 200).cancel_refusal(100).is_none());
        assert!(booking(BookingStatus::Confirmed, 100).cancel_refusal(100).is_some());
        for status in [BookingStatus::Declined, BookingStatus::Cancelled, BookingStatus::Completed]
        {
            assert!(booking(status, 200).cancel_refusal(100).is_some(), "{status:?}");
        }
        assert_eq!(booking(BookingStatus::Pending, 0).ends_at(), 1800);
    }

    #[test]
    fn statuses_round_trip() {
        for s in BookingStatus::ALL {
            assert_eq!(s.as_str().parse::<BookingStatus>(), Ok(s));
        }
        assert!("maybe".parse::<BookingStatus>().is_err());
    }
}
