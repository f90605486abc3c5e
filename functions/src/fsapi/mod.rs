//! `POST /fsapi`: the dial plan the BBB servers' FreeSWITCH fetches (mod_xml_curl) for a phone call: it asks
//! for the pin, then bridges the call to the server running the meeting whose voice bridge that is (or, for a
//! breakout room's pin, the parent meeting's server).

mod auth;
mod caller_id;
mod dialplan;
mod escape;

pub(crate) use auth::authenticate;
use scalelite_shared::model::{Meeting, Server};

use crate::Ctx;
use crate::input::FromCall;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The longest pin looked up: longer ones name no voice bridge (`VOICE_BRIDGE_LEN` is at most 18 digits).
const LONGEST_PIN: usize = 32;

/// What FreeSWITCH asks with: the section it wants, the number dialled, the pin entered so far (set once the
/// caller has entered one at the prompt), and the caller's name and privacy flags.
pub struct DialRequest {
    dial_plan: bool,
    destination: Option<String>,
    pin: Option<String>,
    caller_name: Option<String>,
    hide_name: Option<String>,
    hide_number: Option<String>,
}

impl FromCall for DialRequest {
    fn from_call(Call { params, .. }: Call) -> Result<Self, Reject> {
        let text = |name: &str| params.get(name).map(str::to_owned);
        let filled = |name: &str| params.non_blank(name).map(str::to_owned);
        Ok(DialRequest {
            dial_plan: params.get("section") == Some("dialplan"),
            destination: filled("Caller-Destination-Number"),
            pin: filled("variable_pin"),
            caller_name: text("Caller-Caller-ID-Name"),
            hide_name: text("Caller-Privacy-Hide-Name"),
            hide_number: text("Caller-Privacy-Hide-Number"),
        })
    }
}

pub async fn run(ctx: &Ctx, request: DialRequest) -> Outcome {
    if !request.dial_plan {
        tracing::warn!("fsapi: asked for a section other than the dial plan");
        return Ok(dialplan::reject());
    }
    let Some(destination) = request.destination.as_deref() else {
        tracing::warn!("fsapi: no Caller-Destination-Number");
        return Ok(dialplan::reject());
    };
    let config = &ctx.config.fsapi;
    let Some(pin) = request.pin.as_deref() else {
        tracing::info!("fsapi: prompting for the pin");
        return Ok(dialplan::prompt(destination, config));
    };
    let Some((meeting, host)) = dialled(ctx, pin).await? else {
        tracing::info!("fsapi: the pin matches no running meeting, prompting again");
        return Ok(dialplan::reprompt(destination, config));
    };
    let caller =
        caller_id::shown(request.caller_name.as_deref(), request.hide_name.as_deref(), request.hide_number.as_deref());
    tracing::info!(meeting = %meeting.id, server = %meeting.server_id, "fsapi: bridging a call");
    Ok(dialplan::bridge(destination, &meeting.id, &caller, pin, &host))
}

/// The running meeting `pin` dials, and the host of its server: the meeting with that voice bridge, else (a
/// breakout room's pin is its parent's voice bridge and one more digit) the one with the pin less its last digit.
async fn dialled(ctx: &Ctx, pin: &str) -> Result<Option<(Meeting, String)>, Reject> {
    if pin.len() > LONGEST_PIN || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let parent = (pin.len() > 5).then(|| &pin[..pin.len() - 1]);
    let now = ctx.now_ms().await?;
    for number in std::iter::once(pin).chain(parent) {
        let found = ctx.meetings.meeting_by_voice_bridge(number, now).await.map_err(Reject::store(Store::Meetings))?;
        if let Some(meeting) = found {
            let server = ctx.servers.server(&meeting.server_id).await.map_err(Reject::store(Store::Servers))?;
            return Ok(server.as_ref().and_then(host).map(|host| (meeting, host)));
        }
    }
    Ok(None)
}

/// The host of the server's API URL, which FreeSWITCH bridges to.
fn host(server: &Server) -> Option<String> {
    let host = reqwest::Url::parse(&server.url).ok()?.host_str()?.to_owned();
    Some(host)
}
