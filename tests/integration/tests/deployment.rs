//! The Kubernetes manifests against the registry: every function has its Knative Service and OpenFaaS
//! Function, every public path is routed to the function that serves it, and no manifest names a function the
//! registry lacks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scalelite_functions::registry::{FUNCTIONS, Function};
use serde::Deserialize;
use serde_yaml_ng::Value;

/// Answered by every function's own service (`/healthz`, `/readyz`, `/_/health`, `/_/ready`).
const PROBES: &[&str] = &["live", "ready"];
/// Deployed, but kept off the public routes.
const INTERNAL: &[&str] = &["metrics", "poll", "importRecordings"];

fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn documents(relative: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kubernetes").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|doc| !doc.is_null())
        .collect()
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// The Gateway API match a registry path needs: exact paths exactly, `/prefix/*` as a path prefix.
fn route_match(path: &str) -> (String, String) {
    match path.strip_suffix("/*") {
        Some(prefix) => ("PathPrefix".into(), prefix.into()),
        None => ("Exact".into(), path.into()),
    }
}

/// Deployed function name -> its FUNCTION, from a list of Knative Services or OpenFaaS Functions.
fn deployed(relative: &str, kind: &str, function_of: impl Fn(&Value) -> Option<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for doc in documents(relative) {
        assert_eq!(text(&doc, &["kind"]), Some(kind), "{relative}: unexpected {doc:?}");
        let name = text(&doc, &["metadata", "name"]).unwrap().to_owned();
        let function = function_of(&doc).unwrap_or_else(|| panic!("{relative}: {name} has no FUNCTION"));
        assert!(out.insert(name.clone(), function).is_none(), "{relative}: {name} twice");
    }
    out
}

/// (match type, path) -> the service a route sends it to, from the HTTPRoutes of `relative`.
fn routes(relative: &str, target_of: impl Fn(&Value) -> Option<String>) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for doc in documents(relative) {
        assert_eq!(text(&doc, &["kind"]), Some("HTTPRoute"));
        for rule in doc["spec"]["rules"].as_sequence().unwrap() {
            let target = match rule.get("filters") {
                Some(filters) => target_of(&filters[0]["urlRewrite"]).expect("a rewrite naming the service"),
                None => text(&rule["backendRefs"][0], &["name"]).unwrap().to_owned(),
            };
            for m in rule["matches"].as_sequence().unwrap() {
                let key =
                    (text(m, &["path", "type"]).unwrap().to_owned(), text(m, &["path", "value"]).unwrap().to_owned());
                assert!(out.insert(key.clone(), target.clone()).is_none(), "{relative}: {key:?} routed twice");
            }
        }
    }
    out
}

/// Checks one deployment flavour: services named after the functions, public paths routed to them.
fn check(flavour: &str, services: &BTreeMap<String, String>, routed: &BTreeMap<(String, String), String>) {
    let functions: Vec<&Function> = FUNCTIONS.iter().filter(|f| !PROBES.contains(&f.name)).collect();
    let expected: BTreeMap<String, String> = functions.iter().map(|f| (kebab(f.name), f.name.to_owned())).collect();
    assert_eq!(services, &expected, "{flavour}: the deployed functions differ from the registry's");

    let mut public = BTreeMap::new();
    for function in functions.iter().filter(|f| !INTERNAL.contains(&f.name)) {
        for path in function.paths {
            public.insert(route_match(path), kebab(function.name));
        }
    }
    let to_functions: BTreeMap<_, _> = routed
        .iter()
        .filter(|(_, target)| services.contains_key(*target))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(to_functions, public, "{flavour}: the routes differ from the registry's public paths");
    let others: BTreeSet<&String> = routed.values().filter(|t| !services.contains_key(*t)).collect();
    assert_eq!(others, BTreeSet::from([&"scalelite-nginx".to_owned()]), "{flavour}: routes to unknown services");
}

#[test]
fn knative_services_and_routes_follow_the_registry() {
    let services = deployed("overlays/knative-per-function/functions.yaml", "Service", |doc| {
        let env = doc["spec"]["template"]["spec"]["containers"][0]["env"].as_sequence()?;
        env.iter().find(|e| text(e, &["name"]) == Some("FUNCTION")).and_then(|e| text(e, &["value"])).map(str::to_owned)
    });
    let routed = routes("overlays/knative-per-function/routes.yaml", |rewrite| {
        let host = text(rewrite, &["hostname"])?;
        assert!(host.ends_with(".scalelite.svc.cluster.local"), "{host}: not the service's cluster-local name");
        host.split('.').next().map(str::to_owned)
    });
    check("knative-per-function", &services, &routed);
}

#[test]
fn openfaas_functions_and_routes_follow_the_registry() {
    let services = deployed("overlays/openfaas/functions.yaml", "Function", |doc| {
        assert_eq!(text(doc, &["spec", "name"]), text(doc, &["metadata", "name"]));
        text(doc, &["spec", "environment", "FUNCTION"]).map(str::to_owned)
    });
    let routed = routes("overlays/openfaas/routes.yaml", |rewrite| {
        let path = &rewrite["path"];
        let to = text(path, &["replaceFullPath"]).or_else(|| text(path, &["replacePrefixMatch"]))?;
        to.strip_prefix("/function/")?.split('/').next().map(str::to_owned)
    });
    check("openfaas", &services, &routed);
}

#[test]
fn nginx_upstreams_name_deployed_functions() {
    let known: BTreeSet<String> = FUNCTIONS.iter().map(|f| kebab(f.name)).chain(["scalelite-api".to_owned()]).collect();
    for relative in [
        "base/nginx/nginx.yaml",
        "overlays/knative-per-function/kustomization.yaml",
        "overlays/openfaas/kustomization.yaml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kubernetes").join(relative);
        let text = std::fs::read_to_string(path).unwrap();
        let upstreams: Vec<&str> = text.split("http://").skip(1).filter_map(|rest| rest.split('.').next()).collect();
        assert!(!upstreams.is_empty(), "{relative}: no upstreams");
        for upstream in upstreams {
            assert!(known.contains(upstream), "{relative}: nginx sends to {upstream}, which is no function");
        }
    }
}
