//! Why a command was refused.

use crate::model::entities::Plan;
use thiserror::Error;

/// A refused command. Each variant has a stable machine [`code`](CommandError::code)
/// for the API, and a message a user understands that names what is missing.
#[derive(Clone, Debug, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum CommandError {
    /// The actor may not do this; the message says what would allow it.
    #[error("{0}")]
    NotPermitted(String),
    /// The two environments are not linked by an active partnership.
    #[error("{0}")]
    PartnershipRequired(String),
    #[error("{who} is on the {has} plan; this needs {needs} or higher")]
    PlanTooLow { who: String, has: Plan, needs: Plan },
    #[error("{0}")]
    AddOnMissing(String),
    /// Absent, or not visible to the actor (the two answer alike).
    #[error("no such {0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidParticipantId(String),
    #[error("{0}")]
    InsufficientCredit(String),
    /// The world's state does not allow it now (already done, duplicate, …).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    LastAdministrator(String),
    #[error("{0}")]
    UnknownRecipient(String),
    /// A field of the command is unusable.
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// A split plan rests on facts that changed since it was computed; the
    /// message names which.
    #[error("{0}")]
    StalePlan(String),
    /// A removal needs an export of the organisation, and this is not its latest.
    #[error("{0}")]
    ExportRequired(String),
    /// Documents arrived after the export and would be lost.
    #[error("{0}")]
    ExportOutdated(String),
    /// Support may remove an organisation only with an Administrator's authorisation.
    #[error("{0}")]
    RemovalNotAuthorised(String),
    /// The caller passed too few fresh ids in the context.
    #[error("the context holds too few fresh ids")]
    MissingIds,
}

impl CommandError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotPermitted(_) => "not_permitted",
            CommandError::PartnershipRequired(_) => "partnership_required",
            CommandError::PlanTooLow { .. } => "plan_too_low",
            CommandError::AddOnMissing(_) => "add_on_missing",
            CommandError::NotFound(_) => "not_found",
            CommandError::InvalidParticipantId(_) => "invalid_participant_id",
            CommandError::InsufficientCredit(_) => "insufficient_credit",
            CommandError::Conflict(_) => "conflict",
            CommandError::LastAdministrator(_) => "last_administrator",
            CommandError::UnknownRecipient(_) => "unknown_recipient",
            CommandError::InvalidInput { .. } => "invalid_input",
            CommandError::StalePlan(_) => "stale_plan",
            CommandError::ExportRequired(_) => "export_required",
            CommandError::ExportOutdated(_) => "export_outdated",
            CommandError::RemovalNotAuthorised(_) => "removal_not_authorised",
            CommandError::MissingIds => "missing_ids",
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        CommandError::NotFound(what.to_string())
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        CommandError::InvalidInput {
            field: field.to_string(),
            message: message.into(),
        }
    }
}
