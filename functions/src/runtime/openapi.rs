//! The OpenAPI 3.1 document of the admin API (`/scalelite/api/*`), generated from the registry: each admin
//! action's paths and methods, its own description ([`Described`]), and the answers its policy adds (the
//! checksum, 412 while multitenancy is off, 400 for a body that is not JSON, 503 for a store that does not
//! answer). `scalelite openapi` prints it; `functions/openapi.json` is a committed copy that must equal it.

use std::collections::BTreeMap;

use http::{Method, StatusCode};
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::{
    Content, InfoBuilder, OpenApi, OpenApiBuilder, Paths, RefOr, Required, ResponseBuilder, Responses,
    ResponsesBuilder, Schema,
};

use crate::admin::described::{Answer, Components, Described};
use crate::registry::{Auth, FUNCTIONS, Feature, Function, Off};

/// Where the admin API lives.
pub const ADMIN_API: &str = "/scalelite/api/";

/// The registry's admin actions: functions under [`ADMIN_API`], signed with the admin checksum.
pub fn admin_actions() -> impl Iterator<Item = &'static Function> {
    FUNCTIONS.iter().filter(|function| {
        matches!(function.auth, Auth::Admin { .. }) && function.paths().iter().all(|path| path.starts_with(ADMIN_API))
    })
}

const ABOUT: &str = "The admin API of scalelite-rs, a BigBlueButton load balancer, as upstream Scalelite's: \
JSON in and out. Every call carries `checksum`, signed as a BBB call is: the hex SHA-256 (or SHA-1, SHA-384, \
SHA-512 as `LOADBALANCER_CHECKSUM_ALGORITHM` allows) of the action's name, the query string as sent without \
`checksum`, and `LOADBALANCER_SECRET`, concatenated. A JSON body is not signed. A call that fails the checksum \
(or sends a body that is not `application/json`) is answered as BBB answers it: HTTP 200 with BBB's XML error.";

const CHECKSUM: &str = "hex digest of the action's name + the query without `checksum` + the load balancer's secret";

const XML_ERROR: &str = "BBB's XML error document: `<response><returncode>FAILED</returncode><messageKey>\
checksumError</messageKey>…</response>` (`unsupportedContentType` for a body that is not JSON).";

/// The document.
pub fn document() -> OpenApi {
    let mut components = Components::new();
    let mut paths = Paths::new();
    for function in admin_actions() {
        let Some(described) = function.described else { continue };
        for method in function.methods {
            let operation = operation(function, described, method, &mut components);
            for path in function.paths() {
                paths.add_path_operation(path, vec![http_method(method)], operation.clone());
            }
        }
    }
    let info =
        InfoBuilder::new().title("scalelite-rs admin API").version(env!("CARGO_PKG_VERSION")).description(Some(ABOUT));
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(ComponentsBuilder::new().schemas_from_iter(components).build()))
        .build()
}

/// The document as the committed file holds it: pretty JSON, one final newline.
pub fn json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

fn http_method(method: &Method) -> HttpMethod {
    if method == Method::POST { HttpMethod::Post } else { HttpMethod::Get }
}

/// One status's answer as it is gathered: its causes and its JSON schema.
#[derive(Default)]
struct Status {
    causes: Vec<&'static str>,
    json: Option<RefOr<Schema>>,
}

/// The answers of `function` to `method`: its own, those its policy implies, and BBB's XML error at 200.
fn responses(function: &Function, described: &Described, method: &Method, components: &mut Components) -> Responses {
    let mut statuses: BTreeMap<u16, Status> = BTreeMap::new();
    for answer in described.answers.iter().chain(&implied(function, method)) {
        let status = statuses.entry(answer.status.as_u16()).or_default();
        status.causes.push(answer.about);
        status.json.get_or_insert_with(|| (answer.body)(components));
    }
    statuses.entry(StatusCode::OK.as_u16()).or_default().causes.push("The checksum fails: BBB's XML error.");
    let mut responses = ResponsesBuilder::new();
    for (code, status) in statuses {
        let mut response = ResponseBuilder::new().description(status.causes.join(" Or: "));
        if let Some(json) = status.json {
            response = response.content("application/json", Content::new(Some(json)));
        }
        if code == StatusCode::OK.as_u16() {
            let text = ObjectBuilder::new().schema_type(Type::String).description(Some(XML_ERROR));
            response = response.content("application/xml", Content::new(Some(text)));
        }
        responses = responses.response(code.to_string(), response.build());
    }
    responses.build()
}

/// The operation of `function` for `method`; its id is the action's name.
fn operation(function: &Function, described: &Described, method: &Method, components: &mut Components) -> Operation {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let checksum = ParameterBuilder::new()
        .name("checksum")
        .parameter_in(ParameterIn::Query)
        .required(Required::True)
        .description(Some(CHECKSUM))
        .schema(Some(string().pattern(Some("^([0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$"))));
    let parameters = described.query.iter().map(|query| {
        ParameterBuilder::new()
            .name(query.name)
            .parameter_in(ParameterIn::Query)
            .required(if query.required { Required::True } else { Required::False })
            .description(Some(query.about))
            .schema(Some(string()))
            .build()
    });
    let body = described.body.filter(|_| method == Method::POST).map(|body| {
        RequestBodyBuilder::new()
            .description(Some("Empty, or a JSON object: a field of another type than named reads as absent."))
            .content("application/json", Content::new(Some(body(components))))
            .build()
    });
    OperationBuilder::new()
        .operation_id(Some(function.name))
        .summary(Some(described.summary))
        .parameters(Some(parameters.chain([checksum.build()])))
        .request_body(body)
        .responses(responses(function, described, method, components))
        .build()
}

/// The refusals the function's policy adds to its own.
fn implied(function: &Function, method: &Method) -> Vec<Answer> {
    let mut answers = Vec::new();
    if method == Method::POST {
        answers.push(Answer::refused(StatusCode::BAD_REQUEST, "The body is not JSON."));
    }
    if function.needs == Some(Feature::Multitenancy(Off::Precondition)) {
        answers.push(Answer::refused(StatusCode::PRECONDITION_FAILED, "MULTITENANCY_ENABLED is off."));
    }
    if !function.stores.is_empty() {
        answers.push(Answer::refused(StatusCode::SERVICE_UNAVAILABLE, "A store does not answer."));
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_admin_action_is_described() {
        let names: Vec<&str> = admin_actions().map(|f| f.name).collect();
        assert!(names.contains(&"getServers") && names.contains(&"addTenantSetting"), "{names:?}");
        for function in admin_actions() {
            assert!(function.described.is_some(), "{} has no OpenAPI description", function.name);
        }
        let document = document();
        for function in admin_actions() {
            for path in function.paths() {
                assert!(document.paths.get_path_item(&path).is_some(), "{path} is not in the document");
            }
            // An operation's id is its action's name, so one method an action.
            assert_eq!(function.methods.len(), 1, "{} takes several methods", function.name);
        }
    }

    #[test]
    fn the_committed_document_is_a_fresh_generation() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == json(),
            "functions/openapi.json is not what the registry generates: run `cargo run -q -p scalelite-cli -- \
             openapi > functions/openapi.json` and commit the result"
        );
    }
}
