//! The runtime adapters, apart from the handlers: routing shared by every adapter ([`app`]), hyper on a port
//! (Knative, OpenFaaS, the local runtime), AWS Lambda, logging set-up, and the per-function manifests generated
//! from the registry. The `scalelite-function` binary (`function_binary.rs`) serves one function or all of them
//! through these.

pub mod app;
pub mod http_server;
pub mod lambda;
pub mod manifests;
pub mod telemetry;
