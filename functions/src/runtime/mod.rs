//! The runtime adapters, apart from the handlers: routing shared by every adapter ([`app`]), hyper on a port
//! (Knative, OpenFaaS, the local runtime), AWS Lambda, logging set-up, and what is generated from the registry:
//! the per-function manifests and the admin API's OpenAPI document. The `scalelite-function` binary
//! (`function_binary.rs`) serves one function or all of them through these.

pub mod app;
pub mod http_server;
pub mod lambda;
pub mod manifests;
pub mod openapi;
pub mod telemetry;
