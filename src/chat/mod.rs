//! Conversations: groups the admins set up and one-to-one chats between members, with paged
//! history, unread counts and live delivery through the real-time hub.

pub mod api;
pub mod input;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod views;
