//! Playback of recordings behind nginx: the token link of a protected recording, the resource routes that
//! hand files to nginx with `X-Accel-Redirect`, and an `auth_request` check for nginx serving the shared
//! volume directly; and the text tracks of recordings.

pub(crate) mod access;
pub mod authorize;
pub mod captions;
mod delivery;
pub mod resource;
mod same_site;
pub mod token_link;
pub mod verify;
