//! Checks every checksummed call makes before its handler runs: content type, then checksum.

use http::Method;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::checksum::strip_checksum;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::{Params, count_raw};

use crate::Ctx;

/// Which POST bodies a call accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// Form data only.
    Form,
    /// Form data or XML (create with pre-uploaded slides).
    FormOrXml,
    /// XML only (insertDocument).
    Xml,
    /// JSON only (the admin API).
    Json,
}

fn is_form(content_type: &str) -> bool {
    matches!(content_type, "application/x-www-form-urlencoded" | "multipart/form-data")
}

/// True for the XML content types BBB takes.
pub(crate) fn is_xml(content_type: &str) -> bool {
    matches!(content_type, "application/xml" | "text/xml")
}

/// Refuses a POST body of a type the call does not take.
pub(crate) fn check_content_type(req: &ApiRequest, accepts: Accepts) -> Result<(), ApiError> {
    if req.method != Method::POST || req.body.is_empty() {
        return Ok(());
    }
    let content_type = req.content_type();
    let ok = match accepts {
        Accepts::Form => is_form(&content_type),
        Accepts::FormOrXml => is_form(&content_type) || is_xml(&content_type),
        Accepts::Xml => is_xml(&content_type),
        Accepts::Json => content_type == "application/json",
    };
    if ok { Ok(()) } else { Err(ApiError::UnsupportedContentType) }
}

/// The form body, when the request carries one.
fn form_body(req: &ApiRequest) -> Option<&[u8]> {
    (req.method == Method::POST && req.content_type() == "application/x-www-form-urlencoded").then_some(&req.body[..])
}

/// Verifies the checksum of `call` over the raw query (exactly one `checksum`, from the query or a form body).
/// A POST whose parameters all sit in the body may be signed over an empty query or, as BBB itself accepts,
/// over the body parameters sorted and re-encoded.
pub(crate) fn verify_checksum(ctx: &Ctx, req: &ApiRequest, call: &str, params: &Params) -> Result<(), ApiError> {
    let body = form_body(req).unwrap_or_default();
    if count_raw(req.raw_query.as_bytes(), "checksum") + count_raw(body, "checksum") != 1 {
        return Err(ApiError::Checksum);
    }
    let checksum = params.get("checksum").unwrap_or_default();
    let stripped = strip_checksum(&req.raw_query, checksum);
    let rebuilt;
    let mut signed: Vec<&str> = vec![&stripped];
    if stripped.is_empty() && !body.is_empty() {
        rebuilt = params.encode_sorted_without_checksum();
        signed.push(&rebuilt);
    }
    if ctx.checksums.verify(call, &signed, checksum) { Ok(()) } else { Err(ApiError::Checksum) }
}

/// Content type, then checksum; returns the call's parameters (query, then form body).
pub(crate) fn authorize(ctx: &Ctx, req: &ApiRequest, call: &str, accepts: Accepts) -> Result<Params, ApiError> {
    check_content_type(req, accepts)?;
    let mut params = Params::parse(req.raw_query.as_bytes());
    if let Some(body) = form_body(req) {
        params.extend_from(body);
    }
    verify_checksum(ctx, req, call, &params)?;
    Ok(params)
}

/// The `meetingID` parameter, required.
pub(crate) fn meeting_id(params: &Params) -> Result<&str, ApiError> {
    params.non_blank("meetingID").ok_or(ApiError::MissingMeetingId)
}
