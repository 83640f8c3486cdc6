//! Backups: verified copies of the database made on a schedule or on demand into
//! `data_dir/backups`, listed and downloaded from the admin panel, and `clubroom restore`.

pub mod api;
pub mod names;
pub mod newest;
pub mod pages;
pub mod restore;
pub mod service;
pub mod shared;
pub mod views;
