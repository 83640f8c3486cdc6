//! `JsonBody<T>`: the JSON request body guard. Unlike a bare `Json<T>` it insists on
//! `Content-Type: application/json` (415 otherwise), answers 413 for bodies over the `json`
//! limit, 400 for malformed JSON and 422 naming the field for well-formed JSON of the wrong shape.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::request::Request;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::guards::stash;
use crate::error::{AppError, ErrorKind, FieldErrors};

pub(crate) struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

/// JSON has one number type: `3.0` is the integer 3 to most clients (and to JSON Schema), so
/// whole numbers written with a fraction are read as integers before `T` sees them.
fn integral(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, integral(v))).collect())
        }
        other => other,
    }
}

/// Parses `text` as `T`, naming the offending field on a shape error.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        AppError::bad_request(format!("The request body is not valid JSON: {e}"))
            .with_code("malformed_json")
    })?;
    // serde would also fill a struct from an array, field by field.
    if !value.is_object() {
        return Err(AppError::invalid_field("body", "Send a JSON object."));
    }
    match serde_path_to_error::deserialize::<_, T>(integral(value)) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_data() {
                let mut fields = FieldErrors::new();
                let field = if path == "." { "body".to_string() } else { path };
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                fields.insert(field, message);
                Err(AppError::validation(fields))
            } else {
                Err(AppError::bad_request(format!("The request body is not valid JSON: {inner}"))
                    .with_code("malformed_json"))
            }
        }
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        if !req.content_type().is_some_and(|ct| ct.is_json()) {
            let err = AppError::new(
                ErrorKind::UnsupportedMediaType,
                "Send a JSON body with Content-Type: application/json.",
            )
            .with_code("json_required");
            return Outcome::Error(stash(req, err));
        }
        let limit = req.limits().get("json").unwrap_or(1.mebibytes());
        let text = match data.open(limit).into_string().await {
            Ok(text) if text.is_complete() => text.into_inner(),
            Ok(_) => {
                let err =
                    AppError::new(ErrorKind::PayloadTooLarge, "The request body is too large.");
                return Outcome::Error(stash(req, err));
            }
            Err(e) => {
                return Outcome::Error(stash(
                    req,
                    AppError::bad_request(format!("Could not read the body: {e}")),
                ))
            }
        };
        match parse(&text) {
            Ok(value) => Outcome::Success(JsonBody(value)),
            Err(err) => Outcome::Error(stash(req, err)),
        }
    }
}

/// An optional JSON body: `None` for an empty body, otherwise exactly what `JsonBody` accepts
/// (a present body of the wrong type or shape is refused, never silently ignored as Rocket's
/// `Option<T>` data guard would).
pub(crate) struct MaybeJson<T>(pub Option<T>);

impl<T> MaybeJson<T> {
    pub(crate) fn into_inner(self) -> Option<T> {
        self.0
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for MaybeJson<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, mut data: Data<'r>) -> Outcome<'r, Self> {
        if data.peek(1).await.is_empty() {
            return Outcome::Success(MaybeJson(None));
        }
        match JsonBody::<T>::from_data(req, data).await {
            Outcome::Success(JsonBody(value)) => Outcome::Success(MaybeJson(Some(value))),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Login {
        login: String,
        #[serde(default)]
        tries: u8,
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = parse::<Login>(r#"{"login": 5}"#).unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(err.fields().contains_key("login"), "{:?}", err.fields());
        let err = parse::<Login>(r#"{"login": "a", "tries": 300}"#).unwrap_err();
        assert!(err.fields().contains_key("tries"));
    }

    #[test]
    fn a_body_must_be_an_object() {
        let err = parse::<Login>(r#"["a", 1]"#).unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(err.fields().contains_key("body"));
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let login = parse::<Login>(r#"{"login": "a", "tries": 3.0}"#).unwrap();
        assert_eq!(login.tries, 3);
        let err = parse::<Login>(r#"{"login": "a", "tries": 3.5}"#).unwrap_err();
        assert!(err.fields().contains_key("tries"));
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let err = parse::<Login>(r#"{"login": "#).unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.code(), "malformed_json");
        let err = parse::<Login>(r#"{"login": "a"} trailing"#).unwrap_err();
        assert_eq!(err.status(), 400);
    }
}
