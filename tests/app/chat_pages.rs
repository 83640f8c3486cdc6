//! Tests for chat_pages.
