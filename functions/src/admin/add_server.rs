//! `addServer`: a new server, disabled until enabled, as upstream adds them; with limits when given.

use http::StatusCode;
use scalelite_shared::config::Config;
use scalelite_shared::model::{Server, ServerUpdate};
use scalelite_shared::store::StoreError;

use super::answers::ServerObject;
use super::bodies::{AddServer, Body, Multiplier};
use super::described::{Answer, Described, schema};
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// The host of an http(s) URL, lower-cased.
fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Why a new server cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidServer {
    #[error("Server needs a URL and a secret")]
    MissingUrlOrSecret,
    #[error("Server URL must be http:// or https:// with a host")]
    NoHost,
}

/// A new server from its URL and secret (both required), disabled and offline until enabled and polled.
/// A missing or zero multiplier becomes 1.
pub fn new_server(
    config: &Config,
    url: &str,
    secret: &str,
    multiplier: Option<f64>,
    tag: Option<&str>,
) -> Result<Server, InvalidServer> {
    let (url, secret) = (url.trim(), secret.trim());
    if url.is_empty() || secret.is_empty() {
        return Err(InvalidServer::MissingUrlOrSecret);
    }
    let host = host_of(url).ok_or(InvalidServer::NoHost)?;
    let id = if config.server_id_is_hostname { host } else { uuid::Uuid::new_v4().to_string() };
    let mut server = Server::new(id, url, secret);
    server.load_multiplier = multiplier.filter(|m| m.is_finite() && *m != 0.0).unwrap_or(1.0);
    server.tag = tag.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    Ok(server)
}

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "A new server, disabled and offline until it is enabled and polled.",
    query: &[],
    body: Some(schema::<AddServer>),
    answers: &[
        Answer::success(StatusCode::CREATED, "The new server.", schema::<ServerObject>),
        Answer::refused(
            StatusCode::BAD_REQUEST,
            "No URL or secret, a URL that is not http(s) with a host, a limit that is not a whole number, or a server with that id exists.",
        ),
    ],
};

pub async fn run(ctx: &Ctx, Body(AddServer { server: fields }): Body<AddServer>) -> Outcome {
    let text = |field: &Option<String>| field.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let multiplier = match fields.load_multiplier {
        Multiplier::Valid(multiplier) => Some(multiplier),
        Multiplier::Absent | Multiplier::Invalid => None,
    };
    let (url, secret, tag) = (text(&fields.url), text(&fields.secret), text(&fields.tag));
    let mut server = match new_server(
        &ctx.config,
        url.as_deref().unwrap_or_default(),
        secret.as_deref().unwrap_or_default(),
        multiplier,
        tag.as_deref(),
    ) {
        Ok(server) => server,
        Err(why) => return Err(Refusal::InvalidServer(why).into()),
    };
    let limits = ServerUpdate {
        max_meetings: fields.max_meetings.change("max_meetings")?,
        max_participants: fields.max_participants.change("max_participants")?,
        ..ServerUpdate::default()
    };
    limits.apply(&mut server);
    match ctx.servers.add_server(&server).await {
        Ok(()) => Ok(reply(StatusCode::CREATED, &ServerObject::of(&server))),
        Err(StoreError::Conflict(_)) => Err(Refusal::ServerExists(server.id).into()),
        Err(other) => Err(Reject::Store(Store::Servers, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn hosts() {
        assert_eq!(host_of("https://BBB1.example.org:8443/bigbluebutton/api").as_deref(), Some("bbb1.example.org"));
        assert_eq!(host_of("ftp://x"), None);
        assert_eq!(host_of("http:///api"), None);
    }
}
