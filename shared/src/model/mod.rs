//! The domain objects: BBB servers in the pool, the meetings placed on them, the recordings index, and the
//! front-ends' callback URLs.

mod callback;
mod lrs;
mod meeting;
mod recording;
mod server;
mod tenant;

pub use callback::CallbackData;
pub use lrs::{KeycloakLogin, Lrs, LrsAuth};
pub use meeting::Meeting;
pub use recording::{PlaybackFormat, RECORDING_STATES, Recording, TENANT_ID_KEY, Thumbnail};
pub use server::{Server, ServerState, ServerStats, ServerUpdate};
pub use tenant::{Tenant, TenantSetting};
