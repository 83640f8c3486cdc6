//! Tests for chat.
