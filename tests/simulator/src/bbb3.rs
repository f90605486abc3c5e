//! What a BBB 3.0 create carries beyond plain parameters, read as BBB reads it: the plugin manifests of
//! `pluginManifests` and the JSON of a `clientSettingsOverride` module in the XML body. Anything BBB would
//! ignore (not JSON, no `url`) is left out, so a test sees whether the values arrived intact.

use scalelite_shared::bbb::params::Params;
use serde_json::Value;

/// The manifest URLs of `pluginManifests`: a JSON array of objects with a `url`.
pub(crate) fn plugin_manifests(params: &Params) -> Vec<String> {
    let Some(Ok(Value::Array(manifests))) = params.get("pluginManifests").map(serde_json::from_str::<Value>) else {
        return Vec::new();
    };
    manifests.iter().filter_map(|manifest| manifest.get("url")?.as_str().map(str::to_owned)).collect()
}

/// The JSON inside `<module name="clientSettingsOverride">` (in a CDATA section or not), when it is JSON.
pub(crate) fn client_settings_override(body: &[u8]) -> Option<Value> {
    let body = std::str::from_utf8(body).ok()?;
    let opening = ["<module name=\"clientSettingsOverride\">", "<module name='clientSettingsOverride'>"];
    let start = opening.iter().find_map(|open| body.find(open).map(|at| at + open.len()))?;
    let inner = &body[start..start + body[start..].find("</module>")?];
    let inner = inner.trim();
    let json = inner.strip_prefix("<![CDATA[").and_then(|rest| rest.strip_suffix("]]>")).unwrap_or(inner);
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_what_bbb_reads() {
        let params = Params::from_pairs([("pluginManifests", r#"[{"url":"https://p.example/a.json"},{"x":1}]"#)]);
        assert_eq!(plugin_manifests(&params), ["https://p.example/a.json"]);
        assert!(plugin_manifests(&Params::from_pairs([("pluginManifests", "[{")])).is_empty());
        let body = br#"<modules><module name="clientSettingsOverride"> <![CDATA[{"public":{"app":{"appName":"T"}}}]]> </module></modules>"#;
        assert_eq!(client_settings_override(body), Some(json!({ "public": { "app": { "appName": "T" } } })));
        assert_eq!(client_settings_override(b"<modules/>"), None);
    }
}
