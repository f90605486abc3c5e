//! The BBB-facing errors, each mapped to its `messageKey` and message in one place.

use std::borrow::Cow;

use crate::api::ApiResponse;
use crate::bbb::xml::XmlResponse;

/// An error a BBB API call answers with (HTTP 200, `returncode` FAILED).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("checksum check failed")]
    Checksum,
    #[error("meeting not found")]
    MeetingNotFound,
    #[error("meetingID missing")]
    MissingMeetingId,
    #[error("recordings not found")]
    RecordingsNotFound,
    #[error("recordID missing")]
    MissingRecordId,
    #[error("publish missing")]
    MissingPublish,
    #[error("neither meetingID nor recordID")]
    MissingParameters,
    #[error("unsupported request")]
    UnsupportedRequest,
    #[error("unsupported content type")]
    UnsupportedContentType,
    #[error("server unavailable")]
    ServerUnavailable,
    #[error("no server with tags {0}")]
    ServerTagUnavailable(String),
    /// The tenant has as many meetings as its limit allows.
    #[error("the tenant's meeting limit is reached")]
    MaxMeetingsReached,
    /// The tenant's meetings have as many participants as its limit allows.
    #[error("the tenant's participant limit is reached")]
    MaxParticipantsReached,
    #[error("no recordings for {0}")]
    NoRecordingsFor(String),
    #[error("invalid text track kind {0}")]
    InvalidKind(String),
    #[error("invalid text track language {0}")]
    InvalidLang(String),
    #[error("empty text track")]
    EmptyTextTrack,
    #[error("no captions for {0}")]
    NoCaptionsFound(String),
    /// A parameter BBB's validation refuses: the message says which rule.
    #[error("invalid parameter: {0}")]
    Validation(&'static str),
    #[error("internal error: {0}")]
    Internal(Cow<'static, str>),
    /// A FAILED answer from a BBB server, passed through as it came.
    #[error("BBB answered {key}: {message}")]
    Bbb { key: String, message: String },
}

impl ApiError {
    pub fn internal(message: &'static str) -> Self {
        Self::Internal(Cow::Borrowed(message))
    }

    pub fn message_key(&self) -> &str {
        match self {
            Self::Checksum => "checksumError",
            Self::MeetingNotFound => "notFound",
            Self::MissingMeetingId => "missingParamMeetingID",
            Self::RecordingsNotFound => "notFound",
            Self::MissingRecordId => "missingParamRecordID",
            Self::MissingPublish => "missingParamPublish",
            Self::MissingParameters => "missingParameters",
            Self::UnsupportedRequest => "unsupportedRequest",
            Self::UnsupportedContentType => "unsupportedContentType",
            Self::ServerUnavailable => "serverUnavailable",
            Self::ServerTagUnavailable(_) => "serverTagUnavailable",
            Self::MaxMeetingsReached => "maxMeetingsReached",
            Self::MaxParticipantsReached => "maxParticipantsReached",
            Self::NoRecordingsFor(_) => "noRecordings",
            Self::InvalidKind(_) => "invalidKind",
            Self::InvalidLang(_) => "invalidLang",
            Self::EmptyTextTrack => "empty_uploaded_text_track",
            Self::NoCaptionsFound(_) => "noCaptionsFound",
            Self::Validation(_) => "validationError",
            Self::Internal(_) => "internalError",
            Self::Bbb { key, .. } => key,
        }
    }

    pub fn message(&self) -> Cow<'_, str> {
        match self {
            Self::Checksum => "You did not pass the checksum security check".into(),
            Self::MeetingNotFound => {
                "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?".into()
            }
            Self::MissingMeetingId => "You must specify a meeting ID for the meeting.".into(),
            Self::RecordingsNotFound => "We could not find recordings".into(),
            Self::MissingRecordId => "You must specify a recordID.".into(),
            Self::MissingPublish => "You must specify a publish value true or false.".into(),
            Self::MissingParameters => "param meetingID or recordID must be included.".into(),
            Self::UnsupportedRequest => "This request is not supported.".into(),
            Self::UnsupportedContentType => "POST request Content-Type is missing or unsupported".into(),
            Self::ServerUnavailable => "The server for this meeting is disabled/offline.".into(),
            Self::ServerTagUnavailable(tags) => {
                format!("There is no available server with the required tag={tags}.").into()
            }
            Self::MaxMeetingsReached => "The number of meetings allowed for this tenant has been reached.".into(),
            Self::MaxParticipantsReached => {
                "The number of participants allowed for this tenant's meetings has been reached.".into()
            }
            Self::NoRecordingsFor(id) => format!("No recordings for {id}").into(),
            Self::InvalidKind(kind) => {
                format!("Invalid kind parameter, expected='subtitles|captions' actual={kind}").into()
            }
            Self::InvalidLang(lang) => format!("Malformed lang param, received={lang}").into(),
            Self::EmptyTextTrack => "Empty uploaded text track.".into(),
            Self::NoCaptionsFound(id) => format!("No captions found for {id}.").into(),
            Self::Validation(message) => Cow::Borrowed(message),
            Self::Internal(message) => Cow::Borrowed(message),
            Self::Bbb { message, .. } => Cow::Borrowed(message),
        }
    }

    /// The XML error document.
    pub fn to_xml(&self) -> Vec<u8> {
        XmlResponse::failed(self.message_key(), &self.message()).finish()
    }

    /// The JSON error document of the calls BBB answers in JSON (the text tracks).
    pub fn to_json(&self) -> Vec<u8> {
        let body = serde_json::json!({
            "response": { "returncode": "FAILED", "messageKey": self.message_key(), "message": self.message() }
        });
        body.to_string().into_bytes()
    }
}

impl From<ApiError> for ApiResponse {
    fn from(error: ApiError) -> Self {
        ApiResponse::xml(error.to_xml())
    }
}
