//! Backups: verified copies of the database made on a schedule or on demand into
//! `data_dir/backups`, listed and downloaded from the admin panel, and `clubroom restore`.

pub(crate) mod api;
pub mod names;
pub mod newest;
pub(crate) mod pages;
pub mod restore;
pub mod service;
pub(crate) mod shared;
pub(crate) mod views;
