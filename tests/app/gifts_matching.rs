//! Tests for gifts matching.
