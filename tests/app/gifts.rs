//! Tests for gifts.
