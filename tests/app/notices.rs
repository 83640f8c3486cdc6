//! Tests for notices.
