//! What a handler takes: the [`Call`] the registry checked, or a typed input drawn from it ([`FromCall`]), so a
//! handler's arguments say what it needs, as the registry verified it.

use scalelite_shared::bbb::error::ApiError;

use crate::reject::Reject;
use crate::request::Call;

/// A handler's input, drawn from the checked call.
pub trait FromCall: Sized {
    fn from_call(call: Call) -> Result<Self, Reject>;
}

impl FromCall for Call {
    fn from_call(call: Call) -> Result<Self, Reject> {
        Ok(call)
    }
}

/// The refusal when a handler takes an input its function's auth kind does not verify (a registry line that
/// disagrees with its handler).
pub(crate) fn not_verified(input: &str) -> Reject {
    tracing::error!(input, "the function's auth kind does not verify what its handler takes");
    ApiError::internal("The request could not be handled.").into()
}
