//! The JSON bodies of the admin actions, deserialised once into their types. As upstream reads its params, a
//! field of another type than expected reads as absent (or as the blank it stands for), and a body that is
//! not an object as an empty one, so a loose body gets the same answer as before. Their OpenAPI schemas are
//! derived from these types and name the types a client should send.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::input::FromCall;
use crate::refusal::Refusal;
use crate::reject::Reject;
use crate::request::Call;

/// An admin action's body, of type `T` (the default when it is empty or not an object).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Default> FromCall for Body<T> {
    fn from_call(call: Call) -> Result<Self, Reject> {
        Ok(Body(object(call.body)))
    }
}

/// `value` as `T` when it is an object of that shape, else `T`'s default.
fn object<T: DeserializeOwned + Default>(value: Value) -> T {
    if value.is_object() { serde_json::from_value(value).unwrap_or_default() } else { T::default() }
}

/// A nested object, read as [`object`] does.
fn nested<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(deserializer: D) -> Result<T, D::Error> {
    Ok(object(Value::deserialize(deserializer)?))
}

/// A string, or a number or flag as its text; anything else reads as absent.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        value @ (Value::Number(_) | Value::Bool(_)) => Some(value.to_string()),
        _ => None,
    })
}

/// A string; anything else reads as absent.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        _ => None,
    })
}

/// A field that is there: its string, or blank for any other value (`null` too).
fn given<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Some(Value::deserialize(deserializer)?.as_str().unwrap_or_default().to_owned()))
}

/// A field that is there and not `null`: its string, or blank for any other value.
fn given_not_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        value => Some(value.as_str().unwrap_or_default().to_owned()),
    })
}

/// An `id`, as a non-empty string or a number.
fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(id) if !id.is_empty() => Some(id),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    })
}

/// A flag, as `true` or the string `"true"`.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => flag,
        Value::String(flag) => flag == "true",
        _ => false,
    })
}

/// A load multiplier.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Multiplier {
    /// Not given (absent, `null` or blank).
    #[default]
    Absent,
    /// Given, but not a non-zero number.
    Invalid,
    /// A non-zero number.
    Valid(f64),
}

/// A load multiplier, as a number or a numeric string.
fn multiplier<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Multiplier, D::Error> {
    let number = match Value::deserialize(deserializer)? {
        Value::Null => return Ok(Multiplier::Absent),
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(Multiplier::Absent),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(number.filter(|n| n.is_finite() && *n != 0.0).map_or(Multiplier::Invalid, Multiplier::Valid))
}

/// A limit (`max_meetings`, `max_participants`) as a body gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Limit {
    /// Not given: left as it is.
    #[default]
    Absent,
    /// Given, but not a whole number from 0 up (or `null`, or blank).
    Invalid,
    /// A limit, or `None` (0, `null` or blank) for none.
    Set(Option<u64>),
}

impl Limit {
    /// The change it asks for (`None`: none), or the refusal of an invalid one named `name`.
    pub fn change(self, name: &'static str) -> Result<Option<Option<u64>>, Refusal> {
        match self {
            Limit::Absent => Ok(None),
            Limit::Invalid => Err(Refusal::InvalidLimit(name)),
            Limit::Set(limit) => Ok(Some(limit)),
        }
    }
}

/// A limit, as a number or a numeric string.
fn limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Limit, D::Error> {
    let number = match Value::deserialize(deserializer)? {
        Value::Null => Some(0),
        Value::Number(n) => n.as_u64(),
        Value::String(s) if s.trim().is_empty() => Some(0),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    Ok(number.map_or(Limit::Invalid, |n| Limit::Set((n > 0).then_some(n))))
}

/// A schema of any of `kinds`, for the fields read loosely.
fn any_of(kinds: impl IntoIterator<Item = Type>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(SchemaType::from_iter(kinds)).into()
}

fn id_schema() -> RefOr<Schema> {
    any_of([Type::String, Type::Number])
}

fn flag_schema() -> RefOr<Schema> {
    any_of([Type::Boolean, Type::String])
}

fn multiplier_schema() -> RefOr<Schema> {
    any_of([Type::Number, Type::String])
}

fn limit_schema() -> RefOr<Schema> {
    any_of([Type::Integer, Type::String, Type::Null])
}

fn scalar_schema() -> RefOr<Schema> {
    any_of([Type::String, Type::Number, Type::Boolean])
}

/// `{"id"}`: deleteServer, deleteTenant, deleteTenantSetting.
#[derive(Default, Deserialize, ToSchema)]
pub struct ById {
    #[serde(default, deserialize_with = "id")]
    #[schema(schema_with = id_schema)]
    pub id: Option<String>,
}

/// The `server` fields of addServer and updateServer.
#[derive(Default, Deserialize, ToSchema)]
pub struct ServerFields {
    #[serde(default, deserialize_with = "text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub secret: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub tag: Option<String>,
    /// A non-zero number, or its text.
    #[serde(default, deserialize_with = "multiplier")]
    #[schema(schema_with = multiplier_schema)]
    pub load_multiplier: Multiplier,
    /// `enable`, `cordon` or `disable` (blank when not a string).
    #[serde(default, deserialize_with = "given_not_null")]
    pub state: Option<String>,
    /// The most meetings it may hold: a whole number, or its text; 0, `null` or blank for no limit.
    #[serde(default, deserialize_with = "limit")]
    #[schema(schema_with = limit_schema)]
    pub max_meetings: Limit,
    /// The most participants its last poll may count before it takes no new meeting; 0, `null` or blank for
    /// no limit.
    #[serde(default, deserialize_with = "limit")]
    #[schema(schema_with = limit_schema)]
    pub max_participants: Limit,
}

/// `{"server": {...}}`: addServer.
#[derive(Default, Deserialize, ToSchema)]
pub struct AddServer {
    #[serde(default, deserialize_with = "nested")]
    pub server: ServerFields,
}

/// `{"id", "server": {...}}`: updateServer.
#[derive(Default, Deserialize, ToSchema)]
pub struct UpdateServer {
    #[serde(default, deserialize_with = "id")]
    #[schema(schema_with = id_schema)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "nested")]
    pub server: ServerFields,
}

/// `{"id", "keep_state"}`: panicServer.
#[derive(Default, Deserialize, ToSchema)]
pub struct PanicServer {
    #[serde(default, deserialize_with = "id")]
    #[schema(schema_with = id_schema)]
    pub id: Option<String>,
    /// Leave the server's state as it is instead of disabling it (`true` or `"true"`).
    #[serde(default, deserialize_with = "flag")]
    #[schema(schema_with = flag_schema)]
    pub keep_state: bool,
}

/// The LRS fields of a tenant, as upstream names them: each counts when given (as blank when not a string), and
/// all of them blank remove the tenant's LRS.
#[derive(Default, Deserialize, ToSchema)]
pub struct LrsFields {
    #[serde(default, deserialize_with = "given")]
    pub lrs_endpoint: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub lrs_username: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub lrs_password: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub kc_token_url: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub kc_client_id: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub kc_client_secret: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub kc_username: Option<String>,
    #[serde(default, deserialize_with = "given")]
    pub kc_password: Option<String>,
}

/// The `tenant` fields of addTenant and updateTenant.
#[derive(Default, Deserialize, ToSchema)]
pub struct TenantFields {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    /// `:`-separated.
    #[serde(default, deserialize_with = "text")]
    pub secrets: Option<String>,
    #[serde(flatten)]
    pub lrs: LrsFields,
    /// The most meetings it may have at once: a whole number, or its text; 0, `null` or blank for no limit.
    #[serde(default, deserialize_with = "limit")]
    #[schema(schema_with = limit_schema)]
    pub max_meetings: Limit,
    /// The most participants its meetings may have together; 0, `null` or blank for no limit.
    #[serde(default, deserialize_with = "limit")]
    #[schema(schema_with = limit_schema)]
    pub max_participants: Limit,
}

/// `{"id"?, "tenant": {...}}`: addTenant (no id) and updateTenant.
#[derive(Default, Deserialize, ToSchema)]
pub struct TenantBody {
    #[serde(default, deserialize_with = "id")]
    #[schema(schema_with = id_schema)]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "nested")]
    pub tenant: TenantFields,
}

/// The `setting` fields of addTenantSetting, as upstream's TenantSetting names them.
#[derive(Default, Deserialize, ToSchema)]
pub struct SettingFields {
    #[serde(default, deserialize_with = "id")]
    #[schema(schema_with = id_schema)]
    pub tenant_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub param: Option<String>,
    /// A string, number or flag.
    #[serde(default, deserialize_with = "scalar")]
    #[schema(schema_with = scalar_schema)]
    pub value: Option<String>,
    /// Above the client's parameter (`true` or `"true"`), else below it.
    #[serde(default, rename = "override", deserialize_with = "flag")]
    #[schema(schema_with = flag_schema)]
    pub override_: bool,
}

/// `{"setting": {...}}`: addTenantSetting.
#[derive(Default, Deserialize, ToSchema)]
pub struct SettingBody {
    #[serde(default, deserialize_with = "nested")]
    pub setting: SettingFields,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read<T: DeserializeOwned + Default>(value: Value) -> T {
        object(value)
    }

    #[test]
    fn loose_fields_read_as_absent() {
        let update: UpdateServer = read(json!({ "id": 7, "server": { "state": 5, "tag": 1, "load_multiplier": "x" } }));
        assert_eq!(update.id.as_deref(), Some("7"));
        assert_eq!(update.server.state.as_deref(), Some(""), "a state that is not a string is an invalid one");
        assert_eq!((update.server.tag, update.server.load_multiplier), (None, Multiplier::Invalid));
        let missing: UpdateServer = read(json!({ "id": "", "server": "x" }));
        assert_eq!((missing.id, missing.server.state), (None, None));
        let listed: PanicServer = read(json!([{ "id": "a" }]));
        assert_eq!(listed.id, None, "a body that is not an object is an empty one");
        let multipliers: Vec<Multiplier> = [json!(null), json!(" "), json!("2"), json!(0)]
            .into_iter()
            .map(|m| read::<AddServer>(json!({ "server": { "load_multiplier": m } })).server.load_multiplier)
            .collect();
        assert_eq!(multipliers, [Multiplier::Absent, Multiplier::Absent, Multiplier::Valid(2.0), Multiplier::Invalid]);
    }

    #[test]
    fn setting_values_may_be_numbers_or_flags() {
        let body: SettingBody =
            read(json!({ "setting": { "tenant_id": 4, "param": "duration", "value": 60, "override": "true" } }));
        let setting = body.setting;
        assert_eq!(
            (setting.tenant_id.as_deref(), setting.value.as_deref(), setting.override_),
            (Some("4"), Some("60"), true)
        );
        let flag: SettingBody = read(json!({ "setting": { "param": "record", "value": false } }));
        assert_eq!((flag.setting.value.as_deref(), flag.setting.override_), (Some("false"), false));
        let listed: SettingBody = read(json!({ "setting": { "value": ["a"] } }));
        assert_eq!((listed.setting.param, listed.setting.value), (None, None));
    }

    #[test]
    fn lrs_fields_count_when_given() {
        let body: TenantBody = read(json!({ "tenant": { "name": "t", "kc_username": null, "lrs_endpoint": 3 } }));
        assert_eq!(body.tenant.name.as_deref(), Some("t"));
        assert_eq!(body.tenant.lrs.kc_username.as_deref(), Some(""));
        assert_eq!(body.tenant.lrs.lrs_endpoint.as_deref(), Some(""));
        assert_eq!(body.tenant.lrs.lrs_username, None);
    }
}
