//! What platform Support sees of the environments it serves (DOMAIN §1, §6):
//! each one's plan, add-ons, balance and the flag a negative balance raises,
//! found by name. Support changes them with commands (`SetPlan`, `SetAddOn`,
//! `TopUpCredit`) that core decides; this only lists, and only to whom core
//! allows `ManageSubscription`.

use axum::extract::{Query, State};
use axum::Json;
use preflight_core::access::check_platform;
use preflight_core::{Action, AddOn, EnvironmentId, Plan};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::caller::Caller;
use crate::error::{AppError, BadParameters, ErrorBody, NotSignedIn};
use crate::AppState;

/// The routes of this module, nested under `/api`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(environments_get))
}

/// The most environments one answer lists.
const MAX_LISTED: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentsQuery {
    /// Part of the environment's name, any case; all when absent.
    pub search: Option<String>,
    /// Only flagged environments (negative balance).
    #[serde(default)]
    pub flagged: bool,
}

/// An environment as Support manages it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentSummary {
    #[schema(value_type = String)]
    pub id: EnvironmentId,
    pub name: String,
    #[schema(value_type = String)]
    pub plan: Plan,
    #[schema(value_type = Vec<String>)]
    pub add_ons: Vec<AddOn>,
    pub credit: i64,
    /// A negative balance (DOMAIN §6).
    pub flagged: bool,
    pub users: usize,
    pub organisations: usize,
}

/// The environments whose names contain `search`, flagged ones first, then by
/// name; at most 200 (Support only).
#[utoipa::path(get, path = "/environments", tag = "support", params(EnvironmentsQuery),
    responses(
        (status = 200, description = "Matching environments.", body = Vec<EnvironmentSummary>),
        NotSignedIn,
        BadParameters,
        (status = 403, description = "Support only (`not_permitted`).", body = ErrorBody)))]
async fn environments_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<EnvironmentsQuery>,
) -> Result<Json<Vec<EnvironmentSummary>>, AppError> {
    if !check_platform(&caller.actor(), Action::ManageSubscription).allowed {
        return Err(AppError::NotPermitted(
            "only platform Support manages environments' subscriptions".into(),
        ));
    }
    let world = state.engine.world();
    let needle = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let mut found: Vec<EnvironmentSummary> = world
        .environments()
        .filter(|e| !query.flagged || e.flagged())
        .filter(|e| {
            needle
                .as_ref()
                .is_none_or(|n| e.name.to_lowercase().contains(n))
        })
        .map(|e| EnvironmentSummary {
            id: e.id,
            name: e.name.clone(),
            plan: e.plan,
            add_ons: e.add_ons.clone(),
            credit: e.credit,
            flagged: e.flagged(),
            users: world.users_of(e.id).len(),
            organisations: world.organisations_of(e.id).len(),
        })
        .collect();
    found.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    found.truncate(MAX_LISTED);
    Ok(Json(found))
}
