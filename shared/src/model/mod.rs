//! The domain objects: BBB servers in the pool and the meetings placed on them.

mod meeting;
mod server;

pub use meeting::Meeting;
pub use server::{Server, ServerState, ServerStats, ServerUpdate};
