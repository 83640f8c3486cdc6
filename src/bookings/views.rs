//! What the API answers and the pages render (the same structs).

use schemars::JsonSchema;
use serde::Serialize;

use super::model::{ActivityType, Booking, BookingStatus, Service};
use crate::clock::{format_in, rfc3339_at};

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Service")]
pub(crate) struct ServiceView {
    pub id: i64,
    pub name: String,
    pub duration_minutes: i64,
    pub notes: String,
    pub archived: bool,
    #[schemars(extend("format" = "date-time"))]
    pub archived_at: Option<String>,
    /// How many bookings it has (admin lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub bookings: Option<i64>,
}

impl ServiceView {
    pub(crate) fn of(s: &Service, bookings: Option<i64>) -> Self {
        ServiceView {
            id: s.id,
            name: s.name.clone(),
            duration_minutes: s.duration_minutes,
            notes: s.notes.clone(),
            archived: s.archived_at.is_some(),
            archived_at: s.archived_at.map(rfc3339_at),
            bookings,
        }
    }
}

/// The answer to deleting a service: deleted when it was never booked, archived otherwise.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RemovedService {
    pub id: i64,
    /// `deleted` or `archived`.
    #[schemars(extend("enum" = ["deleted", "archived"]))]
    pub result: &'static str,
    pub message: String,
}

/// Who a booking is for (admin lists).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "BookingMember")]
pub(crate) struct MemberRef {
    pub id: i64,
    pub name: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Booking")]
pub(crate) struct BookingView {
    pub id: i64,
    pub status: BookingStatus,
    pub service_id: i64,
    pub service_name: String,
    #[schemars(extend("format" = "date-time"))]
    pub requested_start: String,
    #[schemars(extend("format" = "date-time"))]
    pub ends_at: String,
    pub duration_minutes: i64,
    pub notes: String,
    /// What the admin wrote when confirming or declining.
    pub admin_message: String,
    #[schemars(extend("format" = "date-time"))]
    pub decided_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub completed_at: Option<String>,
    /// The activity recorded when it was completed.
    pub activity_id: Option<i64>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Whether the member may still cancel it.
    pub can_cancel: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "MemberRef")]
    pub member: Option<MemberRef>,
}

impl BookingView {
    pub(crate) fn of(b: &Booking, now: i64) -> Self {
        BookingView {
            id: b.id,
            status: b.status,
            service_id: b.service_id,
            service_name: b.service_name.clone(),
            requested_start: rfc3339_at(b.requested_start),
            ends_at: rfc3339_at(b.ends_at()),
            duration_minutes: b.duration_minutes,
            notes: b.notes.clone(),
            admin_message: b.admin_message.clone(),
            decided_at: b.decided_at.map(rfc3339_at),
            completed_at: b.completed_at.map(rfc3339_at),
            activity_id: b.activity_id,
            created_at: rfc3339_at(b.created_at),
            can_cancel: b.cancel_refusal(now).is_none(),
            member: None,
        }
    }

    /// The same with the member named, for admins.
    pub(crate) fn for_admin(b: &Booking, now: i64) -> Self {
        let mut view = Self::of(b, now);
        view.member = Some(MemberRef {
            id: b.user_id,
            name: b.member_name.clone(),
            username: b.member_username.clone(),
        });
        view
    }
}

/// A booking on a page: its view plus its times in the viewer's zone.
#[derive(Debug, Serialize)]
pub(crate) struct BookingRow {
    #[serde(flatten)]
    pub booking: BookingView,
    /// "Sat 10 Jan 2026, 18:30" in the viewer's zone.
    pub when: String,
    /// "19:30", when it ends.
    pub until: String,
    /// For an admin: it may be marked completed now.
    pub can_complete: bool,
}

impl BookingRow {
    pub(crate) fn of(b: &Booking, view: BookingView, zone: chrono_tz::Tz, now: i64) -> Self {
        BookingRow {
            booking: view,
            when: format_in(b.requested_start, zone, "%a %-d %b %Y, %H:%M"),
            until: format_in(b.ends_at(), zone, "%H:%M"),
            can_complete: b.status == BookingStatus::Confirmed && b.requested_start <= now,
        }
    }
}

/// `GET`/`POST`/`DELETE /api/v1/calendar-feed`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Feed")]
pub(crate) struct FeedView {
    /// The private address to subscribe to, or null when the member has none.
    pub url: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
}

/// The member's bookings page.
#[derive(Debug, Serialize)]
pub(crate) struct MemberBookingsPage {
    pub services: Vec<ServiceView>,
    pub bookings: Vec<BookingRow>,
    pub form: BookingForm,
    pub feed: FeedView,
    /// When a calendar last read the feed, in the member's zone.
    pub feed_last_read: Option<String>,
    /// The zone times are shown and read in.
    pub time_zone: String,
    /// The earliest value the time field accepts (now, in the member's zone).
    pub min_start: String,
}

/// The request form, refilled after an error.
#[derive(Debug, Default, Serialize)]
pub(crate) struct BookingForm {
    pub service_id: Option<i64>,
    pub requested_start: String,
    pub notes: String,
}

/// The admin bookings page.
#[derive(Debug, Serialize)]
pub(crate) struct AdminBookingsPage {
    pub bookings: Vec<BookingRow>,
    pub filter: FilterForm,
    pub statuses: Vec<&'static str>,
    pub activity_types: Vec<ActivityType>,
    pub formats: Vec<&'static str>,
    pub time_zone: String,
    /// The booking whose form failed, so its fields show the errors.
    pub failed: Option<i64>,
    /// The message typed into that form, shown again.
    pub message: String,
}

#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct FilterForm {
    pub status: String,
    pub from: String,
    pub to: String,
}

/// The admin services page: the list, and one form (new, or editing one service).
#[derive(Debug, Serialize)]
pub(crate) struct AdminServicesPage {
    pub services: Vec<ServiceView>,
    pub form: ServiceForm,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct ServiceForm {
    /// Set when editing an existing service.
    pub id: Option<i64>,
    pub name: String,
    pub duration_minutes: String,
    pub notes: String,
}
