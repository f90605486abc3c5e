//! What the registry checks before a handler runs (content type, tenant, checksum) and what it hands the
//! handler: the [`Call`].

use http::Method;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::checksum::{ChecksumPolicy, strip_checksum};
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::{Params, count_raw};
use scalelite_shared::model::Tenant;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Ctx;
use crate::playback::verify::Readable;
use crate::recordings::upload_token::UploadClaims;
use crate::reject::Reject;
use crate::tenancy::tenant_of;

/// A request that passed its function's checks, with what they found.
pub struct Call {
    pub req: ApiRequest,
    /// The verified parameters: the query, then a form body (for unchecked functions, the query alone).
    pub params: Params,
    /// The tenant a BBB call is for (its host), when multitenancy is on.
    pub tenant: Option<Tenant>,
    /// An admin call's JSON body (`Null` when empty).
    pub body: serde_json::Value,
    /// What the function's auth kind verified of the caller beyond the checksum.
    pub verified: Verified,
}

/// What the registry verified of a caller beyond the checksum, by the function's auth kind.
pub enum Verified {
    /// Nothing more.
    Nothing,
    /// The claims of an upload's token.
    Upload(UploadClaims),
    /// The meeting an end callback's token was made for.
    EndOf(String),
    /// The published recording a playback request may read.
    Playback(Readable),
}

/// Which POST bodies a call accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepts {
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
pub(crate) fn verify_checksum(
    policy: &ChecksumPolicy,
    req: &ApiRequest,
    call: &str,
    params: &Params,
) -> Result<(), ApiError> {
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
    if policy.verify(call, &signed, checksum) { Ok(()) } else { Err(ApiError::Checksum) }
}

/// True when `given` equals `expected`; the time taken depends on neither (both are hashed first, so not even
/// on their lengths).
pub(crate) fn same_token(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())).into()
}

/// The call's parameters: the query, then a form body.
pub(crate) fn request_params(req: &ApiRequest) -> Params {
    let mut params = Params::parse(req.raw_query.as_bytes());
    if let Some(body) = form_body(req) {
        params.extend_from(body);
    }
    params
}

/// Content type, then checksum with the load-balancer secrets (the admin API and the jobs); returns the
/// call's parameters.
pub(crate) fn authorize(ctx: &Ctx, req: &ApiRequest, call: &str, accepts: Accepts) -> Result<Params, ApiError> {
    check_content_type(req, accepts)?;
    let params = request_params(req);
    verify_checksum(&ctx.checksums, req, call, &params)?;
    Ok(params)
}

/// A BBB API call that passed its checks: its parameters and the tenant it is for.
pub(crate) struct Caller {
    pub params: Params,
    pub tenant: Option<Tenant>,
}

/// Content type, then the tenant, then checksum: with the tenant's own secrets for a tenant's host, else the
/// load-balancer secrets; then the parameters' characters ([`Params::refuse_control_characters`]), so nothing
/// a handler stores, forwards or echoes can break a later answer.
pub(crate) async fn authorize_api(ctx: &Ctx, req: &ApiRequest, call: &str, accepts: Accepts) -> Result<Caller, Reject> {
    check_content_type(req, accepts)?;
    let params = request_params(req);
    let tenant = tenant_of(ctx, req).await?;
    let tenant_policy =
        tenant.as_ref().map(|t| ChecksumPolicy::new(t.secrets.clone(), ctx.config.checksum_algorithms.clone()));
    verify_checksum(tenant_policy.as_ref().unwrap_or(&ctx.checksums), req, call, &params)?;
    params.refuse_control_characters()?;
    Ok(Caller { params, tenant })
}

/// The token of `Authorization: Bearer <token>`, when there is a non-empty one.
pub(crate) fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// The `meetingID` parameter, required.
pub(crate) fn meeting_id(params: &Params) -> Result<&str, ApiError> {
    params.non_blank("meetingID").ok_or(ApiError::MissingMeetingId)
}
