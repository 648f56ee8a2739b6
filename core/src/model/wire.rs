//! JSON wire types that the server sends and the browser reads, kept apart from
//! the model so that only the outer layers know the wire format.

use crate::model::entities::User;
use serde::{Deserialize, Serialize};

/// Who is signed in (`GET /api/me`, `POST /api/session`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "kind"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum Me {
    User {
        user: User,
        environment_name: String,
    },
    Support {
        email: String,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(Me, "kind");
