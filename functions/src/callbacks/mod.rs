//! Callbacks between front-ends and BBB that pass through the load balancer: the URLs taken out of create,
//! the JWTs both sides sign, and the deliveries to the front-end.

pub(crate) mod create_params;
mod delivery;
pub(crate) mod end_token;
pub mod pending;
pub mod recording_ready;
pub(crate) mod tokens;

pub(crate) use delivery::{each_secret, secrets_for, secrets_of};
