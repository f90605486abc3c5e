//! The LRS payload a tenant's creates carry: its LRS credentials (basic, or a bearer token fetched from
//! Keycloak with the OAuth password grant at each create), as the JSON that create seals for the server.

use http::header::CONTENT_TYPE;
use scalelite_shared::bbb::lrs_payload::{Credentials, payload_json};
use scalelite_shared::bbb::params::Params;
use scalelite_shared::model::{KeycloakLogin, LrsAuth, Tenant};

use crate::Ctx;

/// The LRS payload JSON for a create of the tenant's meeting, to be sealed with the chosen server's secret;
/// `None` without an LRS, or (logged) when no Keycloak token can be had: the meeting is created without it.
pub(super) async fn payload(ctx: &Ctx, tenant: Option<&Tenant>, meeting_id: &str) -> Option<String> {
    let lrs = tenant?.lrs.as_ref()?;
    match &lrs.auth {
        LrsAuth::Basic { username, password } => {
            Some(payload_json(&lrs.endpoint, Credentials::Basic { lrs_username: username, lrs_password: password }))
        }
        LrsAuth::Keycloak(login) => match token(ctx.http.get(), login).await {
            Ok(token) => Some(payload_json(&lrs.endpoint, Credentials::Token { lrs_token: &token })),
            Err(cause) => {
                tracing::warn!(meeting = %meeting_id, %cause, "no LRS token: the meeting is created without its LRS payload");
                None
            }
        },
    }
}

/// Why the token endpoint granted no token.
#[derive(Debug, thiserror::Error)]
enum NoToken {
    #[error("{0}")]
    Unreachable(reqwest::Error),
    #[error("the token endpoint answered {0}")]
    Status(http::StatusCode),
    #[error("the token endpoint's answer is no JSON")]
    NotJson,
    #[error("the token endpoint's answer has no access_token")]
    NoAccessToken,
}

/// The `access_token` the token endpoint grants for the login, or why there is none.
async fn token(http: &reqwest::Client, login: &KeycloakLogin) -> Result<String, NoToken> {
    let form = Params::from_pairs([
        ("client_id", login.client_id.as_str()),
        ("client_secret", &login.client_secret),
        ("username", &login.username),
        ("password", &login.password),
        ("grant_type", "password"),
    ]);
    let request = http.post(&login.token_url).header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    let unreachable = |error: reqwest::Error| NoToken::Unreachable(error.without_url());
    let response = request.body(form.encode()).send().await.map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(NoToken::Status(status));
    }
    let body = response.bytes().await.map_err(unreachable)?;
    let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|_| NoToken::NotJson)?;
    match answer.get("access_token").and_then(serde_json::Value::as_str) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(NoToken::NoAccessToken),
    }
}
