//! How an admin action describes itself to machines: what its OpenAPI operation says that the registry cannot
//! know (what it does, its query, its body, its answers). `runtime::openapi` adds what the policy implies.

use http::StatusCode;
use utoipa::ToSchema;
use utoipa::openapi::{Ref, RefOr, Schema};

use super::answers::RefusalBody;

/// The named schemas a document gathers.
pub type Components = Vec<(String, RefOr<Schema>)>;

/// A type's schema, gathered with the schemas it uses and referred to by name.
pub type SchemaOf = fn(&mut Components) -> RefOr<Schema>;

/// The schema of `T`, derived from its type (see [`SchemaOf`]).
pub fn schema<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    components.push((T::name().into_owned(), T::schema()));
    T::schemas(components);
    Ref::from_schema_name(T::name()).into()
}

/// An admin action's own part of its OpenAPI operation.
pub struct Described {
    /// What it does, in one line.
    pub summary: &'static str,
    pub query: &'static [Query],
    /// The type its JSON body is read into.
    pub body: Option<SchemaOf>,
    /// Its success answer and the refusals it makes itself.
    pub answers: &'static [Answer],
}

/// A query parameter.
pub struct Query {
    pub name: &'static str,
    pub required: bool,
    pub about: &'static str,
}

/// One answer: its status, when it is given, and its JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub about: &'static str,
    pub body: SchemaOf,
}

impl Answer {
    /// The success answer.
    pub const fn success(status: StatusCode, about: &'static str, body: SchemaOf) -> Self {
        Self { status, about, body }
    }

    /// A refusal (a [`RefusalBody`]).
    pub const fn refused(status: StatusCode, about: &'static str) -> Self {
        Self { status, about, body: schema::<RefusalBody> }
    }
}
