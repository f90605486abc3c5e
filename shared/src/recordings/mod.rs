//! The recordings index's rules, pure: the query planner that turns a [`RecordingQuery`] into a plan every
//! store only translates (SQL, or a key read or scan and a filter), and what an import makes of a stored
//! recording.
//!
//! [`RecordingQuery`]: crate::store::RecordingQuery

mod condition;
mod import;
mod order;
mod page;
mod plan;
mod prefix;

pub use condition::Condition;
pub use import::{as_asked, collapsed, merged};
pub use order::{Direction, NEWEST_FIRST, SortField, SortKey};
pub use page::Page;
pub use plan::{QueryPlan, plan};
pub use prefix::Prefix;
