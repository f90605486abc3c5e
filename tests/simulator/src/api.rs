//! The BBB calls a simulated server answers, with checksums checked against its secret.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use rand::Rng;
use scalelite_shared::bbb::checksum::{Algorithm, sign, strip_checksum};
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::xml::XmlResponse;
use scalelite_shared::clock::now_ms;
use sha1::{Digest, Sha1};

use crate::bbb3::{client_settings_override, plugin_manifests};
use crate::meeting::{Attendee, ChatMessage, SimMeeting};
use crate::server::{CALLS_KEPT, Shared, State};

const PREFIX: &str = "/bigbluebutton/api";

fn xml(body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/xml"));
    response
}

fn failed(key: &str, message: &str) -> Response<Full<Bytes>> {
    xml(XmlResponse::failed(key, message).finish())
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

fn checksum_ok(secret: &str, call: &str, raw_query: &str, params: &Params) -> bool {
    let Some(checksum) = params.get("checksum") else {
        return false;
    };
    let Some(algorithm) = Algorithm::from_hex_len(checksum.len()) else {
        return false;
    };
    sign(algorithm, call, &strip_checksum(raw_query, checksum), secret) == checksum
}

fn random_token(len: usize) -> String {
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(len).map(char::from).collect()
}

/// Answers one request.
/// Where a join redirects, as BBB's HTML5 client.
const CLIENT_JOIN: &str = "/html5client/join";

/// What a browser that follows a join's redirect sees: a page saying it reached a simulated server.
fn client_page() -> Response<Full<Bytes>> {
    let page = "<!DOCTYPE html><html><head><title>Simulated BigBlueButton</title></head><body>\
        <h1>Joined a simulated BigBlueButton server</h1><p>The load balancer sent you here: the join worked. This \
        server is part of a simulated fleet, so there is no meeting room to show.</p></body></html>";
    let mut response = Response::new(Full::new(Bytes::from_static(page.as_bytes())));
    if let Ok(html) = header::HeaderValue::from_str("text/html; charset=utf-8") {
        response.headers_mut().insert(header::CONTENT_TYPE, html);
    }
    response
}

pub(crate) async fn respond(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let delay = shared.state().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, 8 << 20).collect().await.map(|b| b.to_bytes()) else {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    if parts.uri.path() == CLIENT_JOIN {
        return client_page();
    }
    let Some(call) = parts.uri.path().strip_prefix(PREFIX) else {
        return status(StatusCode::NOT_FOUND);
    };
    let call = call.trim_start_matches('/');
    let call_delay = shared.state().call_delays.get(call).copied();
    if let Some(delay) = call_delay {
        tokio::time::sleep(delay).await;
    }
    let raw_answer = shared.state().raw_answers.get(call).cloned();
    if let Some(raw) = raw_answer {
        let mut response = Response::new(Full::new(Bytes::from(raw.body)));
        *response.status_mut() = StatusCode::from_u16(raw.status).unwrap_or(StatusCode::OK);
        for (name, value) in raw.headers {
            if let (Ok(name), Ok(value)) =
                (header::HeaderName::from_bytes(name.as_bytes()), header::HeaderValue::from_str(&value))
            {
                response.headers_mut().insert(name, value);
            }
        }
        return response;
    }
    let raw_query = parts.uri.query().unwrap_or_default();
    let params = Params::parse(raw_query.as_bytes());
    let mut state = shared.state();
    if state.calls.len() == CALLS_KEPT {
        state.calls.pop_front();
    }
    state.calls.push_back(format!("{call}?{raw_query}"));
    if call.is_empty() {
        let mut out = XmlResponse::success();
        out.element("version", "2.0").element("apiVersion", "2.0").element("bbbVersion", "3.0.0-sim");
        return xml(out.finish());
    }
    if !checksum_ok(&shared.secret, call, raw_query, &params) {
        return failed("checksumError", "Checksums do not match");
    }
    let Some(meeting_id) = params.non_blank("meetingID").map(str::to_owned) else {
        return match call {
            "getMeetings" => get_meetings(&state),
            _ => failed("missingParamMeetingID", "You must provide a meeting ID"),
        };
    };
    match (call, &parts.method) {
        ("create", _) => create(&mut state, &meeting_id, &params, &body),
        ("join", &Method::GET) => join(&mut state, shared, &meeting_id, &params),
        ("end", _) => match state.meetings.remove(&meeting_id) {
            Some(_) => {
                let mut out = XmlResponse::success();
                out.element("messageKey", "sentEndMeetingRequest")
                    .element("message", "A request to end the meeting was sent.");
                xml(out.finish())
            }
            None => failed("notFound", "A meeting with that ID does not exist"),
        },
        ("isMeetingRunning", _) => {
            let running = state.meetings.get(&meeting_id).is_some_and(|m| !m.attendees.is_empty());
            let mut out = XmlResponse::success();
            out.element("running", if running { "true" } else { "false" });
            xml(out.finish())
        }
        ("getMeetingInfo", _) => match state.meetings.get(&meeting_id) {
            Some(meeting) => {
                let mut out = XmlResponse::success();
                meeting.write_info(&mut out);
                xml(out.finish())
            }
            None => failed("notFound", "A meeting with that ID does not exist"),
        },
        ("insertDocument", &Method::POST) => match state.meetings.get_mut(&meeting_id) {
            Some(meeting) => {
                meeting.documents += String::from_utf8_lossy(&body).matches("<document").count();
                xml(XmlResponse::success().finish())
            }
            None => failed("notFound", "A meeting with that ID does not exist"),
        },
        ("sendChatMessage", &Method::GET) => match state.meetings.get_mut(&meeting_id) {
            Some(meeting) => {
                let user_name = params.non_blank("userName").unwrap_or("System").to_owned();
                let message = params.get("message").unwrap_or_default().to_owned();
                meeting.chat.push(ChatMessage { user_name, message });
                let mut out = XmlResponse::success();
                out.element("messageKey", "").element("message", "");
                xml(out.finish())
            }
            None => failed("notFound", "A meeting with that ID does not exist"),
        },
        _ => status(StatusCode::NOT_FOUND),
    }
}

fn is_meta_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn create(state: &mut State, meeting_id: &str, params: &Params, body: &[u8]) -> Response<Full<Bytes>> {
    if let Some(meeting) = state.meetings.get(meeting_id) {
        let mut out = XmlResponse::success();
        meeting.write_created(
            &mut out,
            "duplicateWarning",
            "This conference was already in existence and may currently be in progress.",
        );
        return xml(out.finish());
    }
    let create_time_ms = now_ms();
    let metadata = params
        .iter()
        .filter_map(|(name, value)| {
            name.strip_prefix("meta_").filter(|n| is_meta_name(n)).map(|n| (n.to_ascii_lowercase(), value.to_owned()))
        })
        .collect();
    let meeting = SimMeeting {
        meeting_id: meeting_id.to_owned(),
        name: params.get("name").unwrap_or(meeting_id).to_owned(),
        internal_id: format!("{}-{create_time_ms}", hex::encode(Sha1::digest(meeting_id.as_bytes()))),
        create_time_ms,
        voice_bridge: params.get("voiceBridge").unwrap_or("70757").to_owned(),
        attendee_pw: params.non_blank("attendeePW").map_or_else(|| random_token(8), str::to_owned),
        moderator_pw: params.non_blank("moderatorPW").map_or_else(|| random_token(8), str::to_owned),
        duration: params.get("duration").unwrap_or("0").to_owned(),
        metadata,
        attendees: Vec::new(),
        voice_participants: 0,
        videos: 0,
        is_breakout: params.get("isBreakout") == Some("true"),
        documents: String::from_utf8_lossy(body).matches("<document").count(),
        create_params: params.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect(),
        plugin_manifests: plugin_manifests(params),
        client_settings_override: client_settings_override(body),
        chat: Vec::new(),
    };
    let mut out = XmlResponse::success();
    meeting.write_created(&mut out, "", "");
    state.meetings.insert(meeting_id.to_owned(), meeting);
    xml(out.finish())
}

fn join(state: &mut State, shared: &Shared, meeting_id: &str, params: &Params) -> Response<Full<Bytes>> {
    state.next_user += 1;
    let user = state.next_user;
    let Some(meeting) = state.meetings.get_mut(meeting_id) else {
        return failed(
            "invalidMeetingIdentifier",
            "The meeting ID that you supplied did not match any existing meetings",
        );
    };
    let Some(full_name) = params.non_blank("fullName") else {
        return failed("missingParamFullName", "You must provide your name");
    };
    let moderator = match params.get("role").map(str::to_ascii_uppercase).as_deref() {
        Some("MODERATOR") => true,
        Some("VIEWER") => false,
        _ if params.get("password") == Some(meeting.moderator_pw.as_str()) => true,
        _ if params.get("password") == Some(meeting.attendee_pw.as_str()) => false,
        _ => {
            return failed("invalidPassword", "The provided password is neither a moderator or attendee password");
        }
    };
    let user_id = params.get("userID").map_or_else(|| format!("w_{user}"), str::to_owned);
    meeting.attendees.push(Attendee { user_id, full_name: full_name.to_owned(), moderator });
    let session = random_token(16);
    if params.get("redirect") == Some("false") {
        let mut out = XmlResponse::success();
        out.element("messageKey", "successfullyJoined")
            .element("message", "You have joined successfully.")
            .element("session_token", &session);
        return xml(out.finish());
    }
    let mut response = status(StatusCode::FOUND);
    let location = format!("http://{}{CLIENT_JOIN}?sessionToken={session}", shared.addr);
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn get_meetings(state: &State) -> Response<Full<Bytes>> {
    let mut out = XmlResponse::success();
    if state.meetings.is_empty() {
        out.element("messageKey", "noMeetings")
            .element("message", "no meetings were found on this server")
            .empty("meetings");
        return xml(out.finish());
    }
    out.start("meetings");
    for meeting in state.meetings.values() {
        out.start("meeting");
        meeting.write_info(&mut out);
        out.end("meeting");
    }
    out.end("meetings");
    xml(out.finish())
}
