//! The jobs: one pass per call, run by a timer, a CronJob or an HTTP request.

pub mod end_meetings;
mod import_failure;
pub mod import_recordings;
pub mod lease;
pub mod poll;
