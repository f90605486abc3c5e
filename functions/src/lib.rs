//! scalelite-functions: one stateless handler per BBB verb, admin action and job, and the adapters that
//! serve them over HTTP (Knative, OpenFaaS, the local runtime) or on AWS Lambda.

pub mod admin;
pub mod api;
pub mod app;
pub mod callbacks;
pub mod ctx;
pub mod fsapi;
pub mod http_server;
pub mod input;
pub mod jobs;
pub mod lambda_adapter;
pub mod manifests;
pub mod metrics;
pub mod playback;
#[cfg(test)]
mod properties;
pub mod recordings;
pub mod refusal;
pub mod registry;
pub mod reject;
pub mod request;
pub mod telemetry;
mod tenancy;

pub use ctx::Ctx;
