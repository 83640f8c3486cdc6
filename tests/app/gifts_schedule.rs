//! Tests for gifts schedule.
