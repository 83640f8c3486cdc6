//! Roles asked for by name.

use crate::accounts::model::Role;

/// Roles named in a request: each a role Clubroom has, each once, in the order of `Role::ALL`.
/// Blank names are skipped, so naming none (or only blanks) is an empty set, which each use
/// reads as it must (what an invitation grants, the member role, or a refusal).
/// Reading the names is the one place that says which roles there are, so a refusal lists
/// the ones the caller may choose from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RoleSet(Vec<Role>);

impl RoleSet {
    /// Reads role names (surrounding blanks ignored, blank names skipped, repeats kept once); an
    /// unknown name is refused with a sentence naming it and every role there is.
    pub(crate) fn parse<S: AsRef<str>>(names: &[S]) -> Result<RoleSet, String> {
        RoleSet::parse_offering(names, &Role::ALL)
    }

    /// `parse`, where the refusal of an unknown name offers only `offered`.
    pub(crate) fn parse_offering<S: AsRef<str>>(
        names: &[S],
        offered: &[Role],
    ) -> Result<RoleSet, String> {
        let mut roles = Vec::new();
        for name in names.iter().map(|n| n.as_ref().trim()).filter(|n| !n.is_empty()) {
            let role = name.parse::<Role>().map_err(|_| RoleSet::unknown(name, offered))?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles.sort();
        Ok(RoleSet(roles))
    }

    /// The refusal of an unknown role name, offering `offered`.
    pub(crate) fn unknown(name: &str, offered: &[Role]) -> String {
        let offered: Vec<&str> = offered.iter().map(|r| r.as_str()).collect();
        format!("Unknown role {name:?}. Choose {}.", super::either(&offered))
    }

    /// These roles, or `role` alone when none was named.
    pub(crate) fn or(self, role: Role) -> RoleSet {
        if self.0.is_empty() {
            RoleSet(vec![role])
        } else {
            self
        }
    }

    pub(crate) fn as_slice(&self) -> &[Role] {
        &self.0
    }

    pub(crate) fn into_vec(self) -> Vec<Role> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_once_each_in_role_order_and_blanks_name_none() {
        let set = RoleSet::parse(&[" coach", "admin", "coach", ""]).unwrap();
        assert_eq!(set.as_slice(), [Role::Admin, Role::Coach]);
        assert_eq!(
            RoleSet::parse::<&str>(&[]).unwrap().or(Role::Member).as_slice(),
            [Role::Member]
        );
    }

    #[test]
    fn an_unknown_name_is_refused_listing_every_role() {
        let err = RoleSet::parse(&["member", "wizard"]).unwrap_err();
        assert!(err.starts_with("Unknown role \"wizard\"."), "{err}");
        for role in Role::ALL {
            assert!(err.contains(role.as_str()), "{err} names {role}");
        }
        let err = RoleSet::parse_offering(&["wizard"], &Role::SELF_CHOSEN).unwrap_err();
        assert_eq!(err, "Unknown role \"wizard\". Choose member, coach or guardian.");
    }
}
