//! The commands of a split (DOMAIN §7): applying an option-1 access plan,
//! exporting an organisation, authorising and executing its removal, importing
//! its bundle into the new environment.

use super::freshness::{check_fingerprint, check_fresh, check_scope};
use super::option1::*;
use super::removal::removal_cascade;
use crate::access::{check, check_platform, Action, Resource};
use crate::decider::*;
use crate::model::command::{Actor, Context, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::split::*;
use crate::model::*;
use crate::world::World;
use uuid::Uuid;

impl<'a> Decider<'a> {
    /// Decides [`Command::ApplyAccessPlan`]: the membership events of a fresh
    /// option-1 plan. Its consequences (keys, tasks) are added by the caller, as for
    /// every command.
    pub(crate) fn apply_access_plan(
        &mut self,
        plan: Box<SplitPlan>,
    ) -> Result<Vec<Event>, CommandError> {
        let (world, actor, now) = (self.world, self.actor, self.now());
        administrator(world, actor, plan.environment)?;
        let SplitImpact::ManageAccess(access_plan) = &plan.impact else {
            return Err(CommandError::invalid(
                "plan",
                "only option 1 (manage access) is executed as one command; a full separation goes through export, authorisation and removal",
            ));
        };
        check_scope(world, &plan)?;
        check_fresh(world, &plan)?;
        let selected = selection(world, plan.environment, &plan.organisations)?;
        let keep = resolve_keep(world, plan.environment, &selected, Some(&access_plan.keep))?;
        let changes = membership_changes(world, plan.environment, &keep);
        if changes != access_plan.changes {
            return Err(CommandError::invalid(
                "plan",
                "its membership changes do not follow from who keeps which organisations",
            ));
        }
        // The fingerprint must cover what the plan changes, or freshness means nothing.
        let expected = option1_fingerprint_scope(&selected, &keep, &changes);
        if (&plan.fingerprint.organisations, &plan.fingerprint.users) != (&expected.0, &expected.1)
        {
            return Err(CommandError::invalid(
                "plan",
                "its fingerprint does not cover the organisations and users it changes",
            ));
        }
        validate_changes(world, actor, &changes, now)?;
        Ok(change_events(&changes, now))
    }

    pub(crate) fn export_organisation(
        &mut self,
        organisation: OrganisationId,
        digest: Sha256,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let me = self.split_administrator(organisation)?;
        let manifest = crate::model::bundle::Manifest::of(self.world, organisation)
            .ok_or_else(|| self.missing("organisation"))?;
        if manifest.digest != digest {
            return Err(CommandError::Conflict(format!(
                "the documents of {} changed while the bundle was made; export again",
                manifest.name
            )));
        }
        Ok(vec![Event::OrganisationExported {
            organisation,
            digest,
            by: me.id,
            at: now,
        }])
    }

    pub(crate) fn authorise_removal(
        &mut self,
        organisation: OrganisationId,
        export: Sha256,
        accept_loss: bool,
        plan: Option<Box<SplitPlan>>,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let me = self.split_administrator(organisation)?;
        let org = self.organisation(organisation)?;
        let latest = self.world.export_of(organisation).ok_or_else(|| {
            CommandError::ExportRequired(format!(
                "{} has not been exported: export its documents first, so that nothing is lost",
                org.name
            ))
        })?;
        if latest.digest != export {
            return Err(CommandError::ExportRequired(format!(
                "the latest export of {} has digest {}, not {export}: authorise with the latest export",
                org.name, latest.digest
            )));
        }
        let fingerprint = plan.as_ref().map(|p| p.fingerprint.clone());
        if let Some(plan) = plan {
            if plan.choice() != SplitChoice::FullSeparation
                || plan.environment != org.environment
                || plan.organisations.binary_search(&organisation).is_err()
            {
                return Err(CommandError::invalid(
                    "plan",
                    format!(
                        "it is not a full-separation plan of environment {} that selects {}",
                        self.env_name(org.environment),
                        org.name
                    ),
                ));
            }
            check_scope(self.world, &plan)?;
            check_fresh(self.world, &plan)?;
        }
        self.no_loss_unless_accepted(org, latest, accept_loss)?;
        Ok(vec![Event::RemovalAuthorised {
            organisation,
            export,
            accept_loss,
            fingerprint,
            by: me.id,
            at: now,
        }])
    }

    pub(crate) fn execute_removal(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        if !check_platform(self.actor, Action::ExecuteRemoval).allowed {
            return Err(not_permitted(
                "only platform Support executes a removal, once an Administrator of the environment has authorised it",
            ));
        }
        let org = self.organisation(organisation)?;
        let Some(authorisation) = self.world.removal_of(organisation) else {
            return Err(CommandError::RemovalNotAuthorised(format!(
                "no Administrator of environment {} has authorised removing {}",
                self.env_name(org.environment),
                org.name
            )));
        };
        let still_administrator = check(
            self.world,
            authorisation.by,
            Action::SplitEnvironment,
            Resource::Environment(org.environment),
        )
        .allowed;
        if !still_administrator {
            return Err(CommandError::RemovalNotAuthorised(format!(
                "the removal of {} was authorised by someone who is no longer an active Administrator of environment {}; an Administrator must authorise it again",
                org.name,
                self.env_name(org.environment)
            )));
        }
        let latest = self.world.export_of(organisation);
        let Some(latest) = latest.filter(|e| e.digest == authorisation.export) else {
            return Err(CommandError::RemovalNotAuthorised(format!(
                "the authorisation to remove {} names an export that is no longer the latest; an Administrator must authorise again",
                org.name
            )));
        };
        self.no_loss_unless_accepted(org, latest, authorisation.accept_loss)?;
        if let Some(fingerprint) = &authorisation.fingerprint {
            check_fingerprint(self.world, fingerprint).map_err(|stale| {
                CommandError::StalePlan(format!(
                    "the plan the removal of {} was authorised on is out of date: {} changed since; an Administrator must simulate the split and authorise the removal again",
                    org.name,
                    stale.what_changed()
                ))
            })?;
        }
        let selected = [organisation];
        let mut events: Vec<Event> = self
            .world
            .documents_of(organisation)
            .map(|document| Event::DocumentDeleted { document })
            .collect();
        let cascade = removal_cascade(self.world, &selected, now);
        events.extend(cascade.cascade);
        events.extend(cascade.revoked);
        events.push(Event::OrganisationRemoved {
            organisation,
            at: now,
        });
        Ok(events)
    }

    pub(crate) fn import_bundle(
        &mut self,
        organisation: OrganisationId,
        bundle: Sha256,
        participant_id: String,
        documents: Vec<crate::model::bundle::BundleDocument>,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let me = self.split_administrator(organisation)?;
        let org = self.organisation(organisation)?;
        if participant_id != org.participant_id {
            return Err(CommandError::invalid(
                "bundle",
                format!(
                    "it was exported from `{participant_id}`, and {} is `{}`: a bundle is imported into the organisation with the same Peppol identifier",
                    org.name, org.participant_id
                ),
            ));
        }
        if self.world.imports_of(organisation).contains(&bundle) {
            return Err(CommandError::Conflict(format!(
                "this bundle has already been imported into {}",
                org.name
            )));
        }
        let mut events = vec![Event::BundleImported {
            organisation,
            bundle,
            documents: documents.len() as u64,
            by: me.id,
            at: now,
        }];
        // One fresh id for the bundle; its documents' ids follow it, so a
        // bundle of any size fits in a context of `Context::IDS_NEEDED`.
        let base: Uuid = self.id()?;
        for (n, document) in documents.into_iter().enumerate() {
            let name = clean_name("name", &document.name)?;
            let id = DocumentId::from(Uuid::from_u128(base.as_u128().wrapping_add(n as u128)));
            events.push(Event::DocumentAdded {
                document: Document {
                    id,
                    organisation,
                    environment: org.environment,
                    doc_box: document.doc_box,
                    name,
                    sha256: document.sha256,
                    size: document.size,
                    uploaded_by: Some(me.id),
                    at: document.at,
                    summary: document.summary,
                },
            });
        }
        Ok(events)
    }

    /// The acting Administrator of `organisation`'s environment, for the steps of
    /// a full separation; an organisation the actor cannot see answers as absent.
    pub(crate) fn split_administrator(
        &self,
        organisation: OrganisationId,
    ) -> Result<&'a User, CommandError> {
        let me = self.me()?;
        let org = self.organisation(organisation)?;
        let visible = me.environment == org.environment
            || check(
                self.world,
                me.id,
                Action::ViewOrganisation,
                Resource::Organisation(organisation),
            )
            .allowed;
        if !visible {
            return Err(CommandError::not_found("organisation"));
        }
        self.administrator(Action::SplitEnvironment, org.environment)
    }

    /// Refuses to go on when `organisation` holds documents that `export` lacks,
    /// unless the Administrator accepted losing them.
    pub(crate) fn no_loss_unless_accepted(
        &self,
        organisation: &Organisation,
        export: &Export,
        accept_loss: bool,
    ) -> Result<(), CommandError> {
        if accept_loss {
            return Ok(());
        }
        let missing = self
            .world
            .documents_of(organisation.id)
            .filter(|d| export.documents.binary_search(d).is_err())
            .count();
        if missing == 0 {
            return Ok(());
        }
        Err(CommandError::ExportOutdated(format!(
            "{missing} document{} of {} arrived after the latest export and would be lost: export again, or accept losing {}",
            if missing == 1 { "" } else { "s" },
            organisation.name,
            if missing == 1 { "it" } else { "them" },
        )))
    }
}

/// Each change must be one the rules allow the actor on its own (eligibility
/// of partner users, the actor's rights), decided as the membership command
/// it is; shared by the simulator and [`Command::ApplyAccessPlan`].
pub(crate) fn validate_changes(
    world: &World,
    actor: &Actor,
    changes: &[MembershipChange],
    now: Timestamp,
) -> Result<(), CommandError> {
    let ctx = Context {
        now,
        new_ids: Vec::new(),
    };
    for change in changes {
        let mut alone = Decider::new(world, actor, &ctx);
        match *change {
            MembershipChange::AddMember {
                organisation,
                user,
                role,
            } => alone.add_member(organisation, user, role)?,
            MembershipChange::RemoveMember { organisation, user } => {
                alone.remove_member(organisation, user)?
            }
        };
    }
    Ok(())
}
