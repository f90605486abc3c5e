//! scalelite-shared: the domain and the BBB protocol of scalelite-rs, with no database driver and no network
//! client (tokio only for the pause between commit attempts).

pub mod api;
pub mod balance;
pub mod bbb;
pub mod clock;
pub mod config;
pub mod domain;
pub mod model;
pub mod recordings;
pub mod store;
pub mod voice_bridge;
