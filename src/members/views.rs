use serde::Serialize;

use crate::accounts::model::{AuthUser, Role, UserStatus};

/// The member home page.
#[derive(Debug, Serialize)]
pub struct HomeView {
    pub name: String,
    pub username: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub status: UserStatus,
    pub is_admin: bool,
}

impl HomeView {
    pub fn of(user: &AuthUser) -> Self {
        HomeView {
            name: user.name().to_string(),
            username: user.username.clone(),
            email: user.email.clone(),
            roles: user.roles.clone(),
            status: user.status,
            is_admin: user.is_admin(),
        }
    }
}
