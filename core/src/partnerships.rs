//! Partnerships (DOMAIN §2): authorisation requests and manual proposals,
//! accepting, declining, withdrawing and ending them, relationship managers.

use crate::access::{check, Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn send_authorisation_request(
        &mut self,
        email: String,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.requester()?;
        let email = clean_email(&email)?;
        // The answer must not reveal whether the address has an account:
        // only the sender's own pending requests are looked at.
        let pending = format!("a request to `{email}` is already pending");
        self.file_request(me, RequestTarget::Email { email }, pending)
    }

    pub(crate) fn propose_partnership(
        &mut self,
        environment: EnvironmentId,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.requester()?;
        if environment == me.environment {
            return Err(CommandError::invalid(
                "environment",
                "a partnership links two different environments",
            ));
        }
        // Like an authorisation request, a proposal answers the same
        // whether or not the partner code names an environment: nobody
        // probes for environments or their plans. Both plans are checked
        // when the partnership is created, on acceptance.
        if self
            .world
            .active_partnership(me.environment, environment)
            .is_some()
        {
            return Err(CommandError::Conflict(
                "the two environments already are partners".into(),
            ));
        }
        let pending = "a proposal to that environment is already pending".to_string();
        self.file_request(me, RequestTarget::Environment { environment }, pending)
    }

    /// Who sends a partnership request: an Administrator or advanced user whose
    /// environment's plan allows partnerships.
    fn requester(&self) -> Result<&'a User, CommandError> {
        let me = self.advanced(Action::SendPartnershipRequests)?;
        let own = self.environment(me.environment)?;
        if own.plan < Plan::Basic {
            return Err(CommandError::PlanTooLow {
                who: own.name.clone(),
                has: own.plan,
                needs: Plan::Basic,
            });
        }
        Ok(me)
    }

    /// A pending request from `me`'s environment to `target`, unless one is
    /// pending already (`pending` says so).
    fn file_request(
        &mut self,
        me: &User,
        target: RequestTarget,
        pending: String,
    ) -> Result<Vec<Event>, CommandError> {
        if self.world.requests().any(|r| {
            r.from_environment == me.environment
                && r.status == RequestStatus::Pending
                && r.target == target
        }) {
            return Err(CommandError::Conflict(pending));
        }
        Ok(vec![Event::PartnershipRequested {
            request: PartnershipRequest {
                id: self.id()?,
                from_environment: me.environment,
                from_user: me.id,
                target,
                at: self.now(),
                status: RequestStatus::Pending,
            },
        }])
    }

    pub(crate) fn accept_partnership_request(
        &mut self,
        request: RequestId,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let (me, r) = self.addressee(request)?;
        if me.environment == r.from_environment {
            return Err(CommandError::invalid(
                "request",
                "a partnership links two different environments",
            ));
        }
        if self
            .world
            .active_partnership(me.environment, r.from_environment)
            .is_some()
        {
            return Err(CommandError::Conflict(
                "the two environments already are partners".into(),
            ));
        }
        // Plans are checked when the partnership is created.
        if self.hidden(r.from_environment) {
            self.note(Unconfirmed::PartnerEnvironment {
                environment: r.from_environment,
            });
        } else {
            let from = self.environment(r.from_environment)?;
            if from.plan < Plan::Basic {
                return Err(CommandError::PlanTooLow {
                    who: from.name.clone(),
                    has: from.plan,
                    needs: Plan::Basic,
                });
            }
        }
        let origin = match r.target {
            RequestTarget::Email { .. } => PartnershipOrigin::AuthorisationRequest(request),
            RequestTarget::Environment { .. } => {
                let own = self.environment(me.environment)?;
                if own.plan < Plan::Basic {
                    return Err(CommandError::PlanTooLow {
                        who: own.name.clone(),
                        has: own.plan,
                        needs: Plan::Basic,
                    });
                }
                PartnershipOrigin::Manual(request)
            }
        };
        let partnership = self.id()?;
        Ok(vec![Event::PartnershipCreated {
            partnership,
            requester: r.from_environment,
            accepter: me.environment,
            origin,
            accepted_by: me.id,
            at: now,
        }])
    }

    pub(crate) fn decline_partnership_request(
        &mut self,
        request: RequestId,
    ) -> Result<Vec<Event>, CommandError> {
        let (me, _) = self.addressee(request)?;
        Ok(vec![Event::PartnershipRequestDeclined {
            request,
            by: me.id,
        }])
    }

    pub(crate) fn withdraw_partnership_request(
        &mut self,
        request: RequestId,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        let r = self
            .world
            .request(request)
            .ok_or_else(|| CommandError::not_found("request"))?;
        let may = check(
            self.world,
            me.id,
            Action::SendPartnershipRequests,
            Resource::Environment(me.environment),
        )
        .allowed;
        if r.from_environment != me.environment || !may {
            return Err(CommandError::not_found("request"));
        }
        if r.status != RequestStatus::Pending {
            return Err(CommandError::Conflict(
                "this request is no longer pending".into(),
            ));
        }
        Ok(vec![Event::PartnershipRequestWithdrawn { request }])
    }

    pub(crate) fn connect_relationship_manager(
        &mut self,
        partnership: PartnershipId,
        user: UserId,
    ) -> Result<Vec<Event>, CommandError> {
        let p = self.partnership(partnership)?;
        let target = self.user(user)?;
        if !p.links(target.environment) {
            return Err(not_permitted(format!(
                "{} belongs to neither side of this partnership",
                target.name
            )));
        }
        self.administrator(Action::ManageUsers, target.environment)?;
        if !p.is_active() {
            return Err(CommandError::PartnershipRequired(
                "this partnership has ended".into(),
            ));
        }
        if !target.relationship_manager {
            return Err(not_permitted(format!(
                "{} does not hold the RelationshipManager role; an Administrator assigns it in user management",
                target.name
            )));
        }
        if !target.is_active() {
            return Err(not_permitted(format!("{} is disabled", target.name)));
        }
        if p.relationship_managers.contains(&user) {
            return Err(CommandError::Conflict(format!(
                "{} already is connected",
                target.name
            )));
        }
        Ok(vec![Event::RelationshipManagerConnected {
            partnership,
            user,
        }])
    }

    pub(crate) fn disconnect_relationship_manager(
        &mut self,
        partnership: PartnershipId,
        user: UserId,
    ) -> Result<Vec<Event>, CommandError> {
        let p = self.partnership(partnership)?;
        let target = self.user(user)?;
        self.administrator(Action::ManageUsers, target.environment)?;
        if !p.relationship_managers.contains(&user) {
            return Err(CommandError::Conflict(format!(
                "{} is not connected",
                target.name
            )));
        }
        Ok(vec![Event::RelationshipManagerDisconnected {
            partnership,
            user,
        }])
    }

    /// The acting user, to whom a pending request is addressed.
    pub(crate) fn addressee(
        &self,
        request: RequestId,
    ) -> Result<(&'a User, &'a PartnershipRequest), CommandError> {
        let me = self.me()?;
        let r = self
            .world
            .request(request)
            .ok_or_else(|| CommandError::not_found("request"))?;
        let addressed = match &r.target {
            RequestTarget::Email { email } => *email == me.email,
            RequestTarget::Environment { environment } => *environment == me.environment,
        };
        let may = check(
            self.world,
            me.id,
            Action::SendPartnershipRequests,
            Resource::Environment(me.environment),
        )
        .allowed;
        if !addressed || !may {
            return Err(CommandError::not_found("request"));
        }
        if r.status != RequestStatus::Pending {
            return Err(CommandError::Conflict(
                "this request is no longer pending".into(),
            ));
        }
        Ok((me, r))
    }

    /// Ending a partnership, with its whole cascade (DOMAIN §2).
    pub(crate) fn end_partnership(
        &mut self,
        partnership: PartnershipId,
    ) -> Result<Vec<Event>, CommandError> {
        let me = self.me()?;
        let p = self.partnership(partnership)?;
        if !p.links(me.environment) {
            return Err(CommandError::not_found("partnership"));
        }
        self.administrator(Action::ManagePartnerships, me.environment)?;
        if !p.is_active() {
            return Err(CommandError::Conflict(
                "this partnership has already ended".into(),
            ));
        }
        let world = self.world;
        let mut events = vec![Event::PartnershipEnded {
            partnership,
            by: me.id,
            at: self.now(),
        }];
        for (own, other) in [(p.requester, p.accepter), (p.accepter, p.requester)] {
            if self.hidden(own) {
                self.note(Unconfirmed::EffectsInPartnerEnvironment { environment: own });
            }
            // Memberships of the other side's users in this side's organisations.
            for org in world.organisations_of(own) {
                for user in world.members_of(*org) {
                    if world.user(*user).is_some_and(|u| u.environment == other) {
                        events.push(Event::MembershipRemoved {
                            user: *user,
                            organisation: *org,
                        });
                    }
                }
            }
            // The other side's users in this side's groups.
            for group in world.groups_of(own) {
                for user in world.group_members(*group) {
                    if world.user(*user).is_some_and(|u| u.environment == other) {
                        events.push(Event::GroupMemberRemoved {
                            group: *group,
                            user: *user,
                        });
                    }
                }
            }
            // Shares of this side's documents with the other side's users, groups
            // and organisations.
            let grantees = world
                .users_of(other)
                .iter()
                .map(|u| Grantee::User(*u))
                .chain(world.groups_of(other).iter().map(|g| Grantee::Group(*g)))
                .chain(
                    world
                        .organisations_of(other)
                        .iter()
                        .map(|o| Grantee::Organisation(*o)),
                );
            for grantee in grantees {
                for document in world.documents_shared_with_in(grantee, own) {
                    events.push(Event::ShareRevoked { document, grantee });
                }
            }
            // Cost bearing reverts.
            for org in world.organisations_of(own) {
                if world
                    .organisation(*org)
                    .is_some_and(|o| o.cost_bearer == other)
                {
                    events.push(Event::CostBearerChanged {
                        organisation: *org,
                        bearer: own,
                    });
                }
            }
        }
        for user in &p.relationship_managers {
            events.push(Event::RelationshipManagerDisconnected {
                partnership,
                user: *user,
            });
        }
        Ok(events)
    }
}

/// Who is told of partnerships and requests: the two environments of a
/// partnership; a request's sender and addressee (Administrators and Advanced
/// users); a relationship manager's link whoever sees the partnership and
/// the user.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::PartnershipCreated {
            requester,
            accepter,
            ..
        } => *requester == vis.home() || *accepter == vis.home(),
        Event::PartnershipEnded { partnership, .. } => vis.partnership(*partnership),
        Event::RelationshipManagerConnected { partnership, user }
        | Event::RelationshipManagerDisconnected { partnership, user } => {
            vis.partnership(*partnership) && vis.user(*user)
        }
        Event::PartnershipRequested { request } => vis.request(request.id),
        Event::PartnershipRequestDeclined { request, .. }
        | Event::PartnershipRequestWithdrawn { request } => vis.request(*request),
        _ => false,
    }
}

/// Who accepted a partnership is shown only to those who see that user.
pub(crate) fn redact(vis: &Visibility, event: &mut Event) {
    if let Event::PartnershipCreated { accepted_by, .. } = event {
        if !vis.user(*accepted_by) {
            *accepted_by = UserId(uuid::Uuid::nil());
        }
    }
}
