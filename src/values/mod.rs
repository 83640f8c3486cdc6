//! Value types: each rule about a single value has its one home here, and the value is parsed
//! once, where it comes in, into a type that can only hold what the rule allows.
//!
//! - `string_enum!`: enums stored and sent as text (roles, statuses, kinds...).
//! - `Email`, `PersonName`, `Phone`, `Username`: what a person types about themselves.
//! - `ClubName`: the name every page shows.
//! - `RoleSet`: roles as requested by name, checked once.
//! - `text`: free text over several lines (notes, messages): no control characters but line
//!   breaks and tabs.
//!
//! (A member's secret address, shared card or calendar feed, is `crate::personal_link`.)

mod club_name;
mod email;
mod name;
mod phone;
mod roles;
pub(crate) mod text;
mod username;

pub(crate) use club_name::ClubName;
pub(crate) use email::Email;
pub(crate) use name::PersonName;
pub(crate) use phone::Phone;
pub(crate) use roles::RoleSet;
pub(crate) use username::Username;

/// Declares an enum whose values are stored in the database and sent in JSON as fixed text:
/// `as_str`, `ALL` (in declaration order), `choices`, `FromStr` (unknown text is refused with
/// the sentence a person reads: "Choose a, b or c."), `Display`, serde both ways as that text,
/// and its JSON schema (those texts).
///
/// ```ignore
/// string_enum! {
///     /// Where a booking stands.
///     pub enum BookingStatus {
///         Pending = "pending",
///         Confirmed = "confirmed",
///     }
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            schemars::JsonSchema,
        )]
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            #[allow(dead_code)]
            $vis const ALL: [$name; <[()]>::len(&[$($crate::values::string_enum!(@unit $variant)),+])] =
                [$($name::$variant),+];

            /// The text this value is stored and sent as.
            $vis fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Every value's text as a refusal offers them: `a, b or c`.
            #[allow(dead_code)]
            $vis fn choices() -> String {
                $crate::values::either(&[$($text),+])
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("Choose {}.", $name::choices())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@unit $variant:ident) => { () };
}

pub(crate) use string_enum;

/// `a, b or c`: the choices a refusal offers, in the words of a sentence.
pub(crate) fn either<S: AsRef<str>>(choices: &[S]) -> String {
    match choices {
        [] => String::new(),
        [only] => only.as_ref().to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::either;

    #[test]
    fn choices_read_as_a_sentence() {
        assert_eq!(either::<&str>(&[]), "");
        assert_eq!(either(&["open"]), "open");
        assert_eq!(either(&["open", "closed"]), "open or closed");
        assert_eq!(either(&["a", "b", "c"]), "a, b or c");
    }

    string_enum! {
        /// A test enum.
        #[derive(PartialOrd, Ord)]
        pub(crate) enum Colour {
            Red = "red",
            /// With a doc comment.
            DeepBlue = "deep_blue",
        }
    }

    #[test]
    fn every_value_reads_back_from_its_text_in_json_and_in_the_database() {
        for colour in Colour::ALL {
            assert_eq!(colour.as_str().parse::<Colour>(), Ok(colour));
            assert_eq!(colour.to_string(), colour.as_str());
            let json = serde_json::to_string(&colour).unwrap();
            assert_eq!(json, format!("\"{}\"", colour.as_str()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), colour);
        }
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DeepBlue]);
        assert_eq!(Colour::choices(), "red or deep_blue");
        assert!(Colour::Red < Colour::DeepBlue, "extra derives apply");
    }

    #[test]
    fn unknown_text_is_refused_offering_the_choices() {
        assert_eq!("green".parse::<Colour>(), Err("Choose red or deep_blue.".to_string()));
        assert!(serde_json::from_str::<Colour>("\"Red\"").is_err(), "text is matched exactly");
    }
}
