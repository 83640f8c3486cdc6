//! Conversations: groups the admins set up and one-to-one chats between members, with paged
//! history, unread counts and live delivery through the real-time hub.

pub(crate) mod api;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod pages;
pub(crate) mod repo;
pub mod service;
pub(crate) mod views;
