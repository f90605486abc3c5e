//! How a call is refused: one type for every family of answer, rendered the way its function answers.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::StoreError;

use crate::playback::access::{not_found, unavailable};
use crate::refusal::Refusal;

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

    /// What a refusal says when this store failed.
    pub fn unavailable(self) -> String {
        format!("Unable to access the {} store.", self.name())
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
    /// Playback: the 404 page (the 503 page while a store does not answer).
    Page,
}

/// A refused call.
#[derive(Debug)]
pub enum Reject {
    /// A BBB error, with its message key.
    Api(ApiError),
    /// A store that failed.
    Store(Store, StoreError),
    /// A refusal answered in JSON.
    Refused(Refusal),
    /// Nothing to see here (playback).
    NotFound,
    /// The status page without its token or checksum: the 401 page.
    StatusPageLocked,
    /// A callback whose sender did not prove itself: answered as a proven one is, with this status and no
    /// body, so the sender learns nothing.
    Unverified(StatusCode),
}

impl From<ApiError> for Reject {
    fn from(error: ApiError) -> Self {
        Reject::Api(error)
    }
}

impl From<Refusal> for Reject {
    fn from(refusal: Refusal) -> Self {
        Reject::Refused(refusal)
    }
}

impl Reject {
    /// A failure of `store`, as a closure for `map_err`.
    pub fn store(store: Store) -> impl FnOnce(StoreError) -> Reject {
        move |error| Reject::Store(store, error)
    }

    /// The outcome the request metrics count this refusal as: the BBB message key, or the HTTP status of an
    /// answer that has none.
    pub fn outcome(&self) -> String {
        match self {
            Reject::Api(_) | Reject::Store(..) | Reject::Unverified(_) => self.key().to_owned(),
            Reject::Refused(refusal) => refusal.status().as_u16().to_string(),
            Reject::NotFound => "404".to_owned(),
            Reject::StatusPageLocked => "401".to_owned(),
        }
    }

    /// The stable key of this refusal, which the refusal metrics count it by.
    pub fn key(&self) -> &str {
        match self {
            Reject::Api(error) => error.message_key(),
            Reject::Store(..) => "internalError",
            Reject::Refused(refusal) => refusal.key(),
            Reject::NotFound => "notFound",
            Reject::StatusPageLocked => "unauthorized",
            Reject::Unverified(_) => "unverified",
        }
    }

    /// The answer, in the family of the function that refused.
    pub fn respond(self, answers: Answers) -> ApiResponse {
        match (self, answers) {
            (Reject::Store(store, error), answers) => {
                tracing::error!(store = store.name(), %error, "store failure");
                match answers {
                    Answers::Json => Reject::Refused(Refusal::StoreFailed(store)).respond(answers),
                    Answers::Page => unavailable(),
                    _ => Reject::Api(ApiError::Internal(store.unavailable().into())).respond(answers),
                }
            }
            (Reject::Api(error), Answers::BbbJson) if error != ApiError::Checksum => {
                ApiResponse::json(StatusCode::OK, error.to_json())
            }
            (Reject::Api(error), _) => error.into(),
            (Reject::Refused(refusal), _) => {
                let mut response = crate::admin::reply(refusal.status(), &refusal.body());
                if let Some(challenge) = refusal.challenge().and_then(|c| http::HeaderValue::from_str(&c).ok()) {
                    response.headers.insert(http::header::WWW_AUTHENTICATE, challenge);
                }
                response
            }
            (Reject::NotFound, _) => not_found(),
            (Reject::StatusPageLocked, _) => crate::admin::status_page::locked(),
            (Reject::Unverified(status), _) => ApiResponse::empty(status),
        }
    }
}
