//! Tests for cards.
