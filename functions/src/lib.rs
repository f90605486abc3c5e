//! scalelite-functions: one stateless handler per BBB verb, admin action and job (`api/`, `admin/`, `jobs/`,
//! `playback/`, `recordings/`, `callbacks/`, `fsapi/`), the registry that checks their input, and, in
//! `runtime/`, the adapters that serve them over HTTP (Knative, OpenFaaS, the local runtime) or on AWS Lambda.

pub mod admin;
pub mod api;
pub mod callbacks;
pub mod ctx;
pub mod fsapi;
pub mod input;
pub mod jobs;
pub mod metrics;
pub mod playback;
#[cfg(test)]
mod properties;
pub mod recordings;
pub mod refusal;
pub mod registry;
pub mod reject;
pub mod request;
pub mod runtime;
mod tenancy;

pub use ctx::Ctx;
