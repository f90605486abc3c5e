//! The BigBlueButton protocol: checksums, parameters, XML answers (written, checked and read), errors and the
//! client that calls servers.

pub mod checksum;
pub mod client;
pub mod error;
pub mod lrs_payload;
pub mod meetings_xml;
pub mod params;
#[cfg(test)]
mod properties;
pub mod recordings_xml;
pub mod well_formed;
pub mod xml;
