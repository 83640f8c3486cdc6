//! Request bodies for the card.
//!
//! The JSON body and the form differ on purpose: JSON says "no preference" with `null` and must
//! name the field (so `{}` cannot clear it by accident), while an HTML select sends an empty
//! string for its "none" choice.

use rocket::FromForm;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// `PUT /api/v1/card/contact-preference`: `{"contact_preference": "email" | ... | null}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("required" = ["contact_preference"]))]
pub(crate) struct ContactPreferenceInput {
    /// Outer None: the field is missing; inner None: `null`.
    #[serde(default, deserialize_with = "present")]
    #[schemars(description = "`email`, `text`, `phone` or `social`, or null for none.")]
    pub contact_preference: Option<Option<String>>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The preference form on `/card`; an empty value means none.
#[derive(Debug, Default, FromForm)]
pub(crate) struct ContactPreferenceForm {
    #[field(default = String::new())]
    pub contact_preference: String,
}
