//! HTTP Basic authentication of FreeSWITCH: user `fsapi`, password `FSAPI_PASSWORD` (nothing is asked when
//! that is empty).

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use http::header::AUTHORIZATION;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::config::Config;

use crate::refusal::Refusal;
use crate::reject::Reject;
use crate::request::same_token;

/// The one user name the dial plan is served to.
const USER: &str = "fsapi";

/// Standard base64, with or without its padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Passes a request with the right credentials (any request when no password is set); else a 401 with the
/// Basic challenge for the realm `URL_HOST`.
pub(crate) fn authenticate(config: &Config, req: &ApiRequest) -> Result<(), Reject> {
    let Some(expected) = config.fsapi.password.as_deref() else { return Ok(()) };
    let passes = credentials(&req.headers).is_some_and(|(user, password)| {
        // Both are compared, so the time taken does not tell whether the user name was right.
        let right_password = same_token(&password, expected);
        user == USER && right_password
    });
    if passes {
        return Ok(());
    }
    let realm = config.url_host.as_deref().or(req.host()).unwrap_or("Application");
    Err(Refusal::AccessDenied { realm: quotable(realm) }.into())
}

/// The user name and password of `Authorization: Basic …`.
fn credentials(headers: &http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `realm` with only what may stand inside a quoted header value (visible ASCII but `"` and `\`, and spaces).
fn quotable(realm: &str) -> String {
    realm.chars().filter(|c| (c.is_ascii_graphic() || *c == ' ') && !matches!(c, '"' | '\\')).collect()
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose;

    use super::*;

    fn request(authorization: Option<&str>) -> ApiRequest {
        let mut req = ApiRequest::get("/fsapi", "");
        if let Some(value) = authorization {
            req.headers.insert(AUTHORIZATION, http::HeaderValue::from_str(value).unwrap());
        }
        req
    }

    fn basic(credentials: &str) -> String {
        format!("Basic {}", general_purpose::STANDARD.encode(credentials))
    }

    fn config(password: Option<&str>) -> Config {
        let mut config = Config::from_lookup(|name| (name == "URL_HOST").then(|| "lb.example.com".to_owned())).unwrap();
        config.fsapi.password = password.map(str::to_owned);
        config
    }

    #[test]
    fn only_fsapi_with_the_password_passes() {
        let config = config(Some("pw"));
        assert!(authenticate(&config, &request(Some(&basic("fsapi:pw")))).is_ok());
        assert!(authenticate(&config, &request(Some("basic ZnNhcGk6cHc"))).is_ok(), "unpadded, any case");
        for refused in
            [None, Some(basic("fsapi:nope")), Some(basic("admin:pw")), Some(basic("fsapi")), Some("Bearer pw".into())]
        {
            let Err(Reject::Refused(refusal)) = authenticate(&config, &request(refused.as_deref())) else {
                panic!("{refused:?} passed");
            };
            assert_eq!(refusal.challenge().as_deref(), Some(r#"Basic realm="lb.example.com""#));
        }
        assert!(authenticate(&config, &request(Some("Basic %%%"))).is_err());
    }

    #[test]
    fn no_password_asks_nothing() {
        assert!(authenticate(&config(None), &request(None)).is_ok());
    }

    #[test]
    fn realms_stay_quotable() {
        assert_eq!(quotable("a\"b\\c\nd é"), "abcd ");
    }
}
