//! Recordings BBB servers send to the load balancer over HTTP, instead of rsync onto a shared volume.

mod tar_check;
pub mod upload;
pub mod upload_token;
