//! JSON wire types that the server sends and the browser reads, kept apart from
//! the model so that only the outer layers know the wire format.

use crate::model::User;
use serde::{Deserialize, Serialize};

/// Who is signed in (`GET /api/me`, `POST /api/session`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    User {
        user: User,
        environment_name: String,
    },
    Support {
        email: String,
    },
}
