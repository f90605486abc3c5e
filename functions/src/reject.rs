//! How a call is refused: one type for every family of answer, rendered the way its function answers.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::StoreError;
use serde_json::{Value, json};

use crate::playback::access::not_found;

/// The store a failure happened in, as the answer names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Meetings,
    Servers,
    Recordings,
    Tenants,
}

impl Store {
    pub fn name(self) -> &'static str {
        match self {
            Store::Meetings => "meeting",
            Store::Servers => "server",
            Store::Recordings => "recordings",
            Store::Tenants => "tenant",
        }
    }
}

/// How a function answers, and so how its refusals look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    /// BBB XML (HTTP 200, `returncode` FAILED).
    Xml,
    /// BBB's JSON, as the text-track calls answer (a checksum failure stays XML, as BBB's).
    BbbJson,
    /// The admin API and the upload endpoint: an HTTP status and a JSON body (checksum and content-type
    /// failures stay BBB XML, as upstream's admin API answers them).
    Json,
    /// Playback: the 404 page.
    Page,
}

/// A refused call.
#[derive(Debug)]
pub enum Reject {
    /// A BBB error, with its message key.
    Api(ApiError),
    /// A store that failed.
    Store(Store, StoreError),
    /// An HTTP status and its JSON body.
    Json(StatusCode, Value),
    /// 401 with the `WWW-Authenticate` challenge (e.g. `Bearer`) and `{"error": message}`.
    Unauthorized { challenge: String, message: String },
    /// Nothing to see here (playback).
    NotFound,
}

impl From<ApiError> for Reject {
    fn from(error: ApiError) -> Self {
        Reject::Api(error)
    }
}

impl Reject {
    /// `{"error": message}` with `status`.
    pub fn json(status: StatusCode, message: &str) -> Self {
        Reject::Json(status, json!({ "error": message }))
    }

    /// A failure of `store`, as a closure for `map_err`.
    pub fn store(store: Store) -> impl FnOnce(StoreError) -> Reject {
        move |error| Reject::Store(store, error)
    }

    /// What the metrics count this refusal as.
    pub fn outcome(&self) -> String {
        match self {
            Reject::Api(error) => error.message_key().to_owned(),
            Reject::Store(..) => "internalError".to_owned(),
            Reject::Json(status, _) => status.as_u16().to_string(),
            Reject::Unauthorized { .. } => "401".to_owned(),
            Reject::NotFound => "404".to_owned(),
        }
    }

    /// The answer, in the family of the function that refused.
    pub fn respond(self, answers: Answers) -> ApiResponse {
        match (self, answers) {
            (Reject::Store(store, error), answers) => {
                tracing::error!(store = store.name(), %error, "store failure");
                let message = format!("Unable to access the {} store.", store.name());
                match answers {
                    Answers::Json => Reject::json(StatusCode::INTERNAL_SERVER_ERROR, &message).respond(answers),
                    Answers::Page => not_found(),
                    _ => Reject::Api(ApiError::Internal(message.into())).respond(answers),
                }
            }
            (Reject::Api(error), Answers::BbbJson) if error != ApiError::Checksum => {
                ApiResponse::json(StatusCode::OK, error.to_json())
            }
            (Reject::Api(error), _) => error.into(),
            (Reject::Json(status, body), _) => ApiResponse::json(status, body.to_string()),
            (Reject::Unauthorized { challenge, message }, _) => {
                let mut response = ApiResponse::json(StatusCode::UNAUTHORIZED, json!({ "error": message }).to_string());
                if let Ok(challenge) = http::HeaderValue::from_str(&challenge) {
                    response.headers.insert(http::header::WWW_AUTHENTICATE, challenge);
                }
                response
            }
            (Reject::NotFound, _) => not_found(),
        }
    }
}
