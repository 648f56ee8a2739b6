//! Plans, add-ons and credit (DOMAIN §6), which Support sets, and who bears
//! the costs of a client's organisation (DOMAIN §2).

use crate::access::{check, Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn set_plan(
        &mut self,
        environment: EnvironmentId,
        plan: Plan,
    ) -> Result<Vec<Event>, CommandError> {
        self.platform(Action::ManageSubscription)?;
        let env = self.environment(environment)?;
        if env.plan == plan {
            return Err(CommandError::Conflict(format!(
                "{} already is on {plan}",
                env.name
            )));
        }
        Ok(vec![Event::PlanSet { environment, plan }])
    }

    pub(crate) fn set_add_on(
        &mut self,
        environment: EnvironmentId,
        add_on: AddOn,
        enabled: bool,
    ) -> Result<Vec<Event>, CommandError> {
        self.platform(Action::ManageSubscription)?;
        let env = self.environment(environment)?;
        if env.has_add_on(add_on) == enabled {
            return Err(CommandError::Conflict(format!(
                "{} {} the {add_on} add-on",
                env.name,
                if enabled {
                    "already has"
                } else {
                    "does not have"
                }
            )));
        }
        Ok(vec![Event::AddOnSet {
            environment,
            add_on,
            enabled,
        }])
    }

    pub(crate) fn top_up_credit(
        &mut self,
        environment: EnvironmentId,
        amount: i64,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        self.platform(Action::ManageSubscription)?;
        self.environment(environment)?;
        if !(1..=10_000_000).contains(&amount) {
            return Err(CommandError::invalid(
                "amount",
                "must be between 1 and 10000000",
            ));
        }
        Ok(vec![Event::CreditChanged {
            environment,
            organisation: None,
            amount,
            reason: LedgerReason::TopUp,
            at: now,
        }])
    }

    pub(crate) fn take_on_costs(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        let me = self.administrator(Action::ManagePartnerships, me.environment)?;
        let org = self.organisation(organisation)?;
        if org.environment == me.environment {
            return Err(CommandError::invalid(
                "organisation",
                "cost bearing is for an organisation of a partner environment",
            ));
        }
        if self
            .world
            .active_partnership(me.environment, org.environment)
            .is_none()
        {
            return Err(CommandError::PartnershipRequired(format!(
                "{} has no active partnership with {}",
                self.env_name(me.environment),
                self.env_name(org.environment)
            )));
        }
        if org.cost_bearer == me.environment {
            return Err(CommandError::Conflict(format!(
                "you already bear the costs of {}",
                org.name
            )));
        }
        Ok(vec![Event::CostBearerChanged {
            organisation,
            bearer: me.environment,
        }])
    }

    pub(crate) fn release_costs(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        let org = self.organisation(organisation)?;
        if org.cost_bearer == org.environment {
            return Err(CommandError::Conflict(format!(
                "{} bears its own costs",
                org.name
            )));
        }
        let side = [org.cost_bearer, org.environment]
            .into_iter()
            .find(|side| *side == me.environment);
        let may = side.is_some_and(|side| {
            check(
                self.world,
                me.id,
                Action::ManagePartnerships,
                Resource::Environment(side),
            )
            .allowed
        });
        if !may {
            return Err(not_permitted(
                "only an Administrator of the bearing or the borne environment may release cost bearing",
            ));
        }
        Ok(vec![Event::CostBearerChanged {
            organisation,
            bearer: org.environment,
        }])
    }
}

/// Who is told of plans, credit and cost bearing: an environment's users of
/// its plan and add-ons; its Administrators of its ledger (which names the
/// documents and organisations whose costs it bears); whoever knows an
/// organisation by name of who bears its costs.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::PlanSet { environment, .. } | Event::AddOnSet { environment, .. } => {
            *environment == vis.home()
        }
        Event::CreditChanged { environment, .. } => vis.admin() && *environment == vis.home(),
        Event::CostBearerChanged { organisation, .. } => vis.organisation_name(*organisation),
        _ => false,
    }
}
