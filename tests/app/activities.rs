//! Tests for activities.
