//! The domain objects: BBB servers in the pool, the meetings placed on them, and the recordings index.

mod meeting;
mod recording;
mod server;

pub use meeting::Meeting;
pub use recording::{PlaybackFormat, RECORDING_STATES, Recording, Thumbnail};
pub use server::{Server, ServerState, ServerStats, ServerUpdate};
