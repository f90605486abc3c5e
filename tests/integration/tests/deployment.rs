//! The Kubernetes manifests against the registry: the per-function deployments are a fresh generation from
//! it (`scalelite-function manifests knative|openfaas`), and nginx sends only to deployed functions.

use std::collections::BTreeSet;
use std::path::Path;

use scalelite_functions::registry::FUNCTIONS;
use scalelite_functions::runtime::manifests::{Flavour, generate, kebab};

fn overlay_file(flavour: Flavour, file: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kubernetes/overlays").join(flavour.overlay()).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn committed_equals_generated(flavour: Flavour, command: &str) {
    for manifest in generate(flavour) {
        assert!(
            overlay_file(flavour, manifest.file) == manifest.text,
            "kubernetes/overlays/{}/{} is not what the registry generates: run `cargo run -p scalelite-functions \
             --bin scalelite-function -- manifests {command}` and commit the result",
            flavour.overlay(),
            manifest.file
        );
    }
}

#[test]
fn knative_manifests_are_generated_from_the_registry() {
    committed_equals_generated(Flavour::Knative, "knative");
}

#[test]
fn openfaas_manifests_are_generated_from_the_registry() {
    committed_equals_generated(Flavour::OpenFaas, "openfaas");
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
