//! Tests for gifts pages.
