//! Tests for bookings.
