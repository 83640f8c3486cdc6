//! What the card endpoints answer. The JSON body and the template context are the same types.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::chart;
use super::model::ContactPreference;
use super::stats::{LifetimeStats, RecentStats, WeekMinutes};
use crate::accounts::model::Role;

/// One public club question with the member's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct CardField {
    pub label: String,
    pub value: String,
}

/// The card as anyone with its link sees it (`GET /api/v1/cards/{token}`). Holds no email
/// address or phone number: only how the member likes to be contacted.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Card {
    pub name: String,
    pub city: String,
    pub state: String,
    pub club_name: String,
    pub roles: Vec<Role>,
    pub member_since: NaiveDate,
    pub coach: Option<String>,
    pub fields: Vec<CardField>,
    pub contact_preference: Option<ContactPreference>,
    pub contact_label: Option<&'static str>,
    pub lifetime: LifetimeStats,
    pub recent: RecentStats,
    pub weekly_minutes: Vec<WeekMinutes>,
}

/// The member's own card (`GET /api/v1/card`): the public card plus its share link.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct OwnCard {
    #[serde(flatten)]
    pub card: Card,
    pub shared: bool,
    pub share_token: Option<String>,
    pub share_url: Option<String>,
}

/// `POST /api/v1/card/share`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Shared {
    pub share_token: String,
    pub share_url: String,
}

/// `PUT /api/v1/card/contact-preference`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ContactPreference")]
pub(crate) struct ContactPreferenceView {
    pub contact_preference: Option<ContactPreference>,
    pub contact_label: Option<&'static str>,
}

/// A choice of the contact-preference form.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ContactChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// `/card`: the member's preview with the share controls and the preference form.
#[derive(Debug, Serialize)]
pub(crate) struct OwnCardPage {
    pub card: OwnCard,
    /// Server-built SVG: numbers and dates only, every text escaped.
    pub chart_svg: String,
    pub contact_choices: Vec<ContactChoice>,
}

/// `/cards/{token}`: the public page.
#[derive(Debug, Serialize)]
pub(crate) struct PublicCardPage {
    pub card: Card,
    pub chart_svg: String,
}

impl PublicCardPage {
    pub(crate) fn of(card: Card) -> Self {
        PublicCardPage { chart_svg: chart::weekly_svg(&card.weekly_minutes), card }
    }
}

impl OwnCardPage {
    pub(crate) fn of(card: OwnCard) -> Self {
        let current = card.card.contact_preference;
        let mut contact_choices = vec![ContactChoice {
            value: "",
            label: "No preference shown",
            selected: current.is_none(),
        }];
        contact_choices.extend(ContactPreference::ALL.into_iter().map(|p| ContactChoice {
            value: p.as_str(),
            label: p.label(),
            selected: current == Some(p),
        }));
        OwnCardPage {
            chart_svg: chart::weekly_svg(&card.card.weekly_minutes),
            card,
            contact_choices,
        }
    }
}
