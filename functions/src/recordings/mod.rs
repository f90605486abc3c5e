//! Recordings BBB servers send to the load balancer over HTTP, instead of rsync onto a shared volume.

mod spool;
pub mod upload;
mod upload_token;
