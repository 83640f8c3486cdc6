//! Tests for realtime.
