//! Tests for notices_pages.
