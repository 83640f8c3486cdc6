//! Conversations: groups the admins set up and one-to-one chats between members, with paged
//! history, unread counts and live delivery through the real-time hub.

pub mod api;
pub mod pages;
