//! The OpenAPI 3 document of the HTTP API, served at `/api/openapi.json`.
//!
//! It is generated from the code: each handler carries a `#[utoipa::path]`
//! annotation and is registered through `utoipa_axum::routes!`, which adds the
//! route to the router and its description to the document in one step, so the
//! two cannot drift apart. Request and response types derive `ToSchema`; the
//! core's wire types do so under its `openapi` feature.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::caller::SESSION_COOKIE;

/// The parts of the document no handler states: who we are, where the API
/// lives, how callers authenticate.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Preflight API",
        description = "The access platform for e-invoicing. Every command is decided again \
            by the server with the same engine the browser previews with. Errors answer \
            `{ \"code\", \"message\" }` with a stable code; something the caller may not see \
            answers exactly like something that does not exist (404)."
    ),
    servers((url = "/api", description = "This server")),
    // Types that parameters name (utoipa does not collect those by itself).
    components(schemas(
        preflight_core::Action,
        preflight_core::ResourceKind,
        crate::documents::UploadResponse,
        preflight_core::peppol::Finding,
    )),
    security(("session" = [])),
    modifiers(&Authentication),
    tags(
        (name = "session", description = "Sign in and out, sign up, invitations"),
        (name = "world", description = "The caller's slice of the world, live"),
        (name = "commands", description = "Preview and execute commands"),
        (name = "access", description = "Access questions, with reasons"),
        (name = "audit", description = "The environment's audit log"),
        (name = "split", description = "Simulating the splitting of an environment"),
        (name = "documents", description = "Document bytes"),
        (name = "software", description = "The organisation-scoped API for accounting software"),
        (name = "support", description = "Platform Support: environments, plans, credit"),
        (name = "server", description = "The server itself"),
    )
)]
pub struct ApiDoc;

/// The two ways in: the browser's session cookie, and connection keys as bearer
/// tokens for accounting software.
struct Authentication;

impl Modify for Authentication {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Set by `POST /session`; HttpOnly, SameSite=Strict.",
            ))),
        );
        components.add_security_scheme(
            "connection_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A connection key of one organisation (DOMAIN §4), retrieved by a \
                         user who may; it stops working when revoked.",
                    ))
                    .build(),
            ),
        );
    }
}
