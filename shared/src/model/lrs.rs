//! A tenant's Learning Record Store: where BBB sends its xAPI statements and how it authenticates there,
//! kept in upstream's tenant fields (`lrs_endpoint`, `lrs_username`, `lrs_password`, `kc_*`).

/// A tenant's LRS and the credentials BBB is given for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lrs {
    pub endpoint: String,
    pub auth: LrsAuth,
}

/// How BBB authenticates to the LRS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LrsAuth {
    /// Basic credentials, handed to BBB as they are.
    Basic { username: String, password: String },
    /// A bearer token the balancer fetches from an OpenID Connect provider (Keycloak) at each create.
    Keycloak(KeycloakLogin),
}

/// The OAuth password grant that fetches an LRS token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeycloakLogin {
    /// The provider's token endpoint (`https://<keycloak>/realms/<realm>/protocol/openid-connect/token`).
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
}

/// True when no part is blank.
fn filled(parts: &[&str]) -> bool {
    parts.iter().all(|part| !part.trim().is_empty())
}

impl Lrs {
    /// Basic credentials for `endpoint`; `None` when a part is blank.
    pub fn basic(endpoint: &str, username: &str, password: &str) -> Option<Self> {
        filled(&[endpoint, username, password]).then(|| Self {
            endpoint: endpoint.to_owned(),
            auth: LrsAuth::Basic { username: username.to_owned(), password: password.to_owned() },
        })
    }

    /// A Keycloak login for `endpoint`; `None` when a part is blank.
    pub fn keycloak(endpoint: &str, login: KeycloakLogin) -> Option<Self> {
        let parts =
            [endpoint, &login.token_url, &login.client_id, &login.client_secret, &login.username, &login.password];
        filled(&parts).then(|| Self { endpoint: endpoint.to_owned(), auth: LrsAuth::Keycloak(login) })
    }

    /// The settings from stored fields (looked up by upstream name), as upstream reads them: none without an
    /// endpoint; basic credentials when a username is set, else the Keycloak login (its blanks make the token
    /// fetch fail, as upstream's do).
    pub fn from_fields<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        let text = |name: &str| field(name).unwrap_or_default().to_owned();
        let endpoint = text("lrs_endpoint");
        if endpoint.trim().is_empty() {
            return None;
        }
        let auth = if text("lrs_username").trim().is_empty() {
            LrsAuth::Keycloak(KeycloakLogin {
                token_url: text("kc_token_url"),
                client_id: text("kc_client_id"),
                client_secret: text("kc_client_secret"),
                username: text("kc_username"),
                password: text("kc_password"),
            })
        } else {
            LrsAuth::Basic { username: text("lrs_username"), password: text("lrs_password") }
        };
        Some(Self { endpoint, auth })
    }

    /// Every upstream field with its value: `Some` for the fields these settings set, `None` for those that
    /// are to be cleared (so switching between basic and Keycloak leaves nothing of the other behind).
    pub fn fields(lrs: Option<&Self>) -> [(&'static str, Option<&str>); 8] {
        let (basic, keycloak) = match lrs.map(|l| &l.auth) {
            Some(LrsAuth::Basic { username, password }) => (Some((username.as_str(), password.as_str())), None),
            Some(LrsAuth::Keycloak(login)) => (None, Some(login)),
            None => (None, None),
        };
        [
            ("lrs_endpoint", lrs.map(|l| l.endpoint.as_str())),
            ("lrs_username", basic.map(|(username, _)| username)),
            ("lrs_password", basic.map(|(_, password)| password)),
            ("kc_token_url", keycloak.map(|k| k.token_url.as_str())),
            ("kc_client_id", keycloak.map(|k| k.client_id.as_str())),
            ("kc_client_secret", keycloak.map(|k| k.client_secret.as_str())),
            ("kc_username", keycloak.map(|k| k.username.as_str())),
            ("kc_password", keycloak.map(|k| k.password.as_str())),
        ]
    }

    /// `"basic"` or `"keycloak"`, for listings.
    pub fn kind(&self) -> &'static str {
        match self.auth {
            LrsAuth::Basic { .. } => "basic",
            LrsAuth::Keycloak(_) => "keycloak",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Option<Lrs> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Lrs::from_fields(|name| map.get(name).copied())
    }

    #[test]
    fn fields_round_trip_and_clear_the_other_kind() {
        let keycloak = Lrs {
            endpoint: "https://lrs".into(),
            auth: LrsAuth::Keycloak(KeycloakLogin {
                token_url: "https://kc/token".into(),
                client_id: "id".into(),
                client_secret: "cs".into(),
                username: "u".into(),
                password: "p".into(),
            }),
        };
        let fields = Lrs::fields(Some(&keycloak));
        assert_eq!(fields[1], ("lrs_username", None));
        assert_eq!(fields[3], ("kc_token_url", Some("https://kc/token")));
        let set: Vec<(&str, &str)> = fields.iter().filter_map(|(n, v)| Some((*n, (*v)?))).collect();
        assert_eq!(read(&set), Some(keycloak));

        let basic =
            Lrs { endpoint: "https://lrs".into(), auth: LrsAuth::Basic { username: "u".into(), password: "p".into() } };
        let fields = Lrs::fields(Some(&basic));
        assert_eq!(fields[2], ("lrs_password", Some("p")));
        assert!(fields[3..].iter().all(|(_, v)| v.is_none()));
        assert!(Lrs::fields(None).iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn read_as_upstream_reads_them() {
        assert_eq!(read(&[("lrs_username", "u")]), None, "no endpoint, no LRS");
        let both = read(&[("lrs_endpoint", "e"), ("lrs_username", "u"), ("kc_token_url", "t")]).unwrap();
        assert_eq!(both.kind(), "basic", "a username wins over Keycloak fields");
        assert_eq!(read(&[("lrs_endpoint", "e")]).unwrap().kind(), "keycloak");
    }
}
