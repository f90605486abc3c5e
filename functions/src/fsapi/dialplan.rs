//! The documents FreeSWITCH is answered with: "not found", the pin prompt, the prompt again after a wrong
//! pin, and the bridge to the meeting's server. Every interpolated value is escaped for FreeSWITCH.

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::xml::XmlResponse;
use scalelite_shared::config::FsapiConfig;

use super::escape::{fs_escape, literal_pattern};

/// One dial-plan action: the application and its data.
type Action = (&'static str, Option<String>);

/// "Not found": FreeSWITCH goes on with its other dial-plan sources.
pub(super) fn reject() -> ApiResponse {
    let mut document = freeswitch();
    document.start_with("section", &[("name", "result")]).empty_with("result", &[("status", "not found")]);
    document.end("section");
    ApiResponse::xml(document.finish())
}

/// Answers the call, plays the welcome and asks for the pin, which FreeSWITCH sends back as `variable_pin`.
pub(super) fn prompt(destination: &str, config: &FsapiConfig) -> ApiResponse {
    let mut actions: Vec<Action> = vec![("answer", None)];
    if config.max_duration_minutes > 0 {
        let seconds = config.max_duration_minutes.saturating_mul(60);
        actions.push(("sched_hangup", Some(format!("+{seconds} normal_clearing"))));
    }
    actions.extend([
        ("sleep", Some("500".to_owned())),
        ("playback", Some("ivr/ivr-welcome.wav".to_owned())),
        ("sleep", Some("200".to_owned())),
    ]);
    actions.extend(ask_for_pin(config));
    dial_plan("Match DID and Pin for Conference", "match_did_and_prompt_for_pin", destination, &actions)
}

/// Says the pin was wrong and asks again.
pub(super) fn reprompt(destination: &str, config: &FsapiConfig) -> ApiResponse {
    let mut actions: Vec<Action> =
        vec![("playback", Some("conference/conf-bad-pin.wav".to_owned())), ("sleep", Some("500".to_owned()))];
    actions.extend(ask_for_pin(config));
    dial_plan("Reprompt Pin for Conference", "reprompt_for_pin", destination, &actions)
}

/// Bridges the call to the conference `pin` on the BBB server at `host`, named `caller` in meeting `meeting_id`.
pub(super) fn bridge(destination: &str, meeting_id: &str, caller: &str, pin: &str, host: &str) -> ApiResponse {
    let actions: [Action; 3] = [
        ("set", Some(format!("meeting_id={}", fs_escape(meeting_id)))),
        ("set", Some(format!("effective_caller_id_name={}", fs_escape(caller)))),
        ("bridge", Some(format!("sofia/external/{}@{}", fs_escape(pin), fs_escape(host)))),
    ];
    dial_plan("Bridge Call to BBB Server", "bridge_to_bbb_server", destination, &actions)
}

/// Collects the pin (three tries, seven seconds each, `#` ends it) and runs the dial plan again with it.
fn ask_for_pin(config: &FsapiConfig) -> [Action; 2] {
    let (min, max) = (config.pin_min_digits, config.pin_max_digits);
    let prompts = "conference/conf-enter_conf_pin.wav conference/conf-bad-pin.wav";
    [
        ("play_and_get_digits", Some(format!("{min} {max} 3 7000 # {prompts} pin \\d+"))),
        ("transfer", Some("${pin} XML public".to_owned())),
    ]
}

fn freeswitch() -> XmlResponse {
    XmlResponse::document("document", &[("type", "freeswitch/xml")])
}

/// A dial plan whose one extension runs `actions` for calls to exactly `destination`.
fn dial_plan(description: &str, extension: &str, destination: &str, actions: &[Action]) -> ApiResponse {
    let expression = format!("^{}$", fs_escape(&literal_pattern(destination)));
    let mut document = freeswitch();
    document
        .start_with("section", &[("name", "dialplan"), ("description", description)])
        .start_with("context", &[("name", "public")])
        .start_with("extension", &[("name", extension)])
        .start_with("condition", &[("field", "destination_number"), ("expression", &expression)]);
    for (application, data) in actions {
        match data {
            Some(data) => document.empty_with("action", &[("application", application), ("data", data)]),
            None => document.empty_with("action", &[("application", application)]),
        };
    }
    document.end("condition").end("extension").end("context").end("section");
    ApiResponse::xml(document.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_duration_minutes: u64) -> FsapiConfig {
        FsapiConfig { password: None, max_duration_minutes, pin_min_digits: 5, pin_max_digits: 10 }
    }

    fn text(response: ApiResponse) -> String {
        String::from_utf8(response.body.to_vec()).unwrap()
    }

    #[test]
    fn reject_is_not_found() {
        assert_eq!(
            text(reject()),
            r#"<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>"#
        );
    }

    #[test]
    fn the_prompt_hangs_up_after_the_longest_call() {
        let prompt = text(prompt("5551234", &config(90)));
        assert!(prompt.contains(r#"<condition field="destination_number" expression="^5551234$">"#), "{prompt}");
        assert!(prompt.contains(
            r#"<action application="answer"/><action application="sched_hangup" data="+5400 normal_clearing"/>"#
        ));
        assert!(prompt.contains(
            r#"data="5 10 3 7000 # conference/conf-enter_conf_pin.wav conference/conf-bad-pin.wav pin \d+"/><action application="transfer" data="${pin} XML public"/>"#
        ));
        assert!(!text(super::prompt("5551234", &config(0))).contains("sched_hangup"));
    }

    #[test]
    fn the_reprompt_takes_digits_too() {
        let reprompt = text(reprompt("5551234", &config(0)));
        assert!(reprompt.starts_with(
            r#"<document type="freeswitch/xml"><section name="dialplan" description="Reprompt Pin for Conference">"#
        ));
        assert!(reprompt.contains(r#"pin \d+""#), "{reprompt}");
    }

    #[test]
    fn bridges_escape_what_they_interpolate() {
        let bridge = text(bridge("1${x}", "m<&>\"", "${system(id)}\\", "123", "bbb.example.com"));
        assert!(bridge.contains(r#"expression="^1\\$\\{x\\}$""#), "{bridge}");
        assert!(bridge.contains(r#"data="meeting_id=m&lt;&amp;&gt;&quot;""#), "{bridge}");
        assert!(bridge.contains(r#"data="effective_caller_id_name=\${system(id)}\\""#), "{bridge}");
        assert!(bridge.contains(r#"<action application="bridge" data="sofia/external/123@bbb.example.com"/>"#));
    }
}
