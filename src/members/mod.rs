//! Members: the member home (profiles, directory and activities grow here).

pub mod pages;
pub mod views;
