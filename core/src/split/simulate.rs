//! The split simulator (DOMAIN §7): what each way of splitting an environment
//! would change, computed before anything changes.
//!
//! An Administrator who wants to separate some organisations from the rest of
//! their environment has two ways (seed `000`): keep one environment and manage
//! access per organisation (option 1), or remove the organisations and recreate
//! them in a new environment (option 2, irreversible for the stored documents).
//! [`plan_split`] shows the full impact of either, [`compare_split`] shows both
//! side by side with the seed's "Which option suits you?" answered.
//!
//! Nothing here re-states an access rule: who has what is always asked of the
//! access engine ([`crate::access`]), and what a cascade would change is found by
//! applying its events to a copy of the world and comparing, with the machinery
//! of [`crate::preview`].
//!
//! A plan is bound to the facts it was computed on. It carries a [`Fingerprint`]:
//! one digest per category of fact it would alter or report (memberships, shares,
//! documents, ... of the selected organisations), and [`check_fresh`] names the
//! categories that changed since. Facts about other organisations are not in it, so
//! an invoice arriving elsewhere does not make a plan stale. Executing option 1
//! ([`Command::ApplyAccessPlan`]) refuses a stale plan with `stale_plan`.

use super::commands::validate_changes;
use super::freshness::fingerprint;
use super::option1::*;
use super::removal::*;
use crate::access::{self, Access, Action, DocumentAccessor, Resource};
use crate::consequences::consequences;
use crate::model::command::{Actor, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::split::*;
use crate::model::*;
use crate::preview::{access_changes, access_with_reasons};
use crate::util::sort::{sort_dedup, sort_unstable_by_key};
use crate::world::World;
use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};

/// Simulated events carry no meaningful time: the core reads no clock, and no
/// time of a simulated event shows in a plan.
pub(crate) const SIMULATED: Timestamp = Timestamp(0);

/// Simulates `option` for the `organisations` of `environment`, on behalf of
/// `actor`, who must be an Administrator of it. Nothing changes.
pub fn plan_split(
    world: &World,
    actor: &Actor,
    environment: EnvironmentId,
    organisations: &[OrganisationId],
    option: SplitOption,
) -> Result<SplitPlan, CommandError> {
    administrator(world, actor, environment)?;
    let selected = selection(world, environment, organisations)?;
    match option {
        SplitOption::ManageAccess { keep } => {
            let keep = resolve_keep(world, environment, &selected, keep.as_deref())?;
            let changes = membership_changes(world, environment, &keep);
            validate_changes(world, actor, &changes, SIMULATED)?;
            let plan = predict_access(world, environment, &selected, keep, changes);
            let (scope, users) = option1_fingerprint_scope(&selected, &plan.keep, &plan.changes);
            Ok(SplitPlan {
                environment,
                organisations: selected,
                fingerprint: fingerprint(world, environment, scope, users),
                impact: SplitImpact::ManageAccess(plan),
            })
        }
        SplitOption::FullSeparation { exported } => {
            let plan = separation(world, environment, &selected, exported.as_ref());
            Ok(SplitPlan {
                environment,
                fingerprint: fingerprint(world, environment, selected.clone(), Vec::new()),
                organisations: selected,
                impact: SplitImpact::FullSeparation(plan),
            })
        }
    }
}

/// Both options for the same selection, side by side, with the recommendation the
/// answers lead to.
pub fn compare_split(
    world: &World,
    actor: &Actor,
    environment: EnvironmentId,
    organisations: &[OrganisationId],
    keep: Option<Vec<Keep>>,
    exported: Option<BTreeSet<Sha256>>,
    questions: SplitQuestions,
) -> Result<SplitComparison, CommandError> {
    let manage_access = plan_split(
        world,
        actor,
        environment,
        organisations,
        SplitOption::ManageAccess { keep },
    )?;
    let full_separation = plan_split(
        world,
        actor,
        environment,
        organisations,
        SplitOption::FullSeparation { exported },
    )?;
    Ok(SplitComparison {
        questions,
        recommendation: questions.recommend(),
        manage_access,
        full_separation,
    })
}

/// Applies `events` and their consequences to a copy of `world`.
pub(crate) fn simulate(world: &World, events: &[Event]) -> (World, Vec<Event>) {
    let (more, after) = consequences(world, events, SIMULATED);
    let mut after = after.unwrap_or_else(|| {
        let mut copy = world.clone();
        for event in events {
            copy.apply(event);
        }
        copy
    });
    for event in &more {
        after.apply(event);
    }
    (after, more)
}

pub(crate) fn predict_access(
    world: &World,
    environment: EnvironmentId,
    selected: &[OrganisationId],
    keep: Vec<Keep>,
    changes: Vec<MembershipChange>,
) -> AccessPlan {
    let events = change_events(&changes, SIMULATED);
    let (after, more) = simulate(world, &events);
    let access_changes = planned_access(world, &after, &changes);
    let mut keys_revoked = Vec::new();
    let mut tasks_reassigned = Vec::new();
    for event in &more {
        match event {
            Event::ConnectionKeyRevoked { key, .. } => keys_revoked.extend(key_impact(world, *key)),
            Event::TaskReassigned { task, to, .. } => {
                if let Some(t) = world.task(*task) {
                    tasks_reassigned.push(TaskImpact {
                        task: *task,
                        document: t.document,
                        assignee: t.assignee,
                        outcome: TaskOutcome::Reassigned { to: *to },
                    });
                }
            }
            _ => {}
        }
    }
    let administrators = world.administrators_of(environment).map(|u| u.id).collect();
    AccessPlan {
        keep,
        changes,
        access_changes,
        administrators,
        keys_revoked,
        tasks_reassigned,
        credit: credit(world, environment, selected, false),
    }
}

/// The access changes of membership changes, as [`crate::preview`] finds them
/// (the organisation, its documents, the documents shared with it), per user and
/// organisation. Consequences (keys, tasks) change no access.
///
/// A document without shares grants a user exactly what its organisation's
/// membership and the user's role grant, the same for every such document of the
/// organisation: the engine decides one of them and the answer is counted for all;
/// documents with shares are decided one by one.
pub(crate) fn planned_access(
    world: &World,
    after: &World,
    changes: &[MembershipChange],
) -> Vec<PlannedAccess> {
    let mut by_user: BTreeMap<UserId, Vec<OrganisationId>> = BTreeMap::new();
    for change in changes {
        by_user
            .entry(change.user())
            .or_default()
            .push(change.organisation());
    }
    let mut out = Vec::new();
    for (user, organisations) in by_user {
        let mut was = DocumentAccessor::new(world, user);
        let mut now = DocumentAccessor::new(after, user);
        let mut level = |d: DocumentId| {
            (
                Access::of_level(was.level(d).0),
                Access::of_level(now.level(d).0),
            )
        };
        let mut counts: BTreeMap<(OrganisationId, Access, Access), usize> = BTreeMap::new();
        let mut seen: FxHashSet<DocumentId> = FxHashSet::default();
        let mut touched: BTreeSet<OrganisationId> = organisations.iter().copied().collect();
        for o in &organisations {
            let mut plain: Option<(Access, Access)> = None;
            for d in world.documents_of(*o) {
                let (before, after) = if world.shares_of(d).is_empty() {
                    *plain.get_or_insert_with(|| level(d))
                } else if seen.insert(d) {
                    level(d)
                } else {
                    continue;
                };
                if before != after {
                    *counts.entry((*o, before, after)).or_default() += 1;
                }
            }
            for d in world.documents_shared_with(Grantee::Organisation(*o)) {
                let Some(doc) = world.document(d) else {
                    continue;
                };
                if !seen.insert(d) {
                    continue;
                }
                let (before, after) = level(d);
                if before != after {
                    touched.insert(doc.organisation);
                    *counts.entry((doc.organisation, before, after)).or_default() += 1;
                }
            }
        }
        for o in touched {
            let resource = Resource::Organisation(o);
            let (before, reasons_before) = access_with_reasons(world, user, resource);
            let (after_access, reasons_after) = access_with_reasons(after, user, resource);
            let documents: Vec<DocumentAccessCount> = counts
                .range((o, Access::NONE, Access::NONE)..)
                .take_while(|((org, _, _), _)| *org == o)
                .map(|((_, before, after), n)| DocumentAccessCount {
                    before: *before,
                    after: *after,
                    documents: *n,
                })
                .collect();
            if before != after_access || !documents.is_empty() {
                out.push(PlannedAccess {
                    user,
                    organisation: o,
                    before,
                    after: after_access,
                    reasons_before,
                    reasons_after,
                    documents,
                });
            }
        }
    }
    out
}

pub(crate) fn credit(
    world: &World,
    environment: EnvironmentId,
    selected: &[OrganisationId],
    separate: bool,
) -> CreditImpact {
    let balance = world.environment(environment).map_or(0, |e| e.credit);
    let ledger = world.ledger_of(environment);
    let since = ledger.last().map_or(i64::MIN, |e| {
        e.at.0.saturating_sub(RECENT_DAYS * 86_400_000)
    });
    let mut recent = 0;
    let mut recent_of_selection = 0;
    for entry in ledger.iter().rev().take_while(|e| e.at.0 >= since) {
        if matches!(
            entry.reason,
            LedgerReason::Sent { .. } | LedgerReason::Received { .. }
        ) {
            recent += 1;
            if entry
                .organisation
                .is_some_and(|o| selected.binary_search(&o).is_ok())
            {
                recent_of_selection += 1;
            }
        }
    }
    CreditImpact {
        balance_before: balance,
        balance_after: balance,
        shared: !separate,
        new_environment_credit: separate.then(|| Plan::Free.included_credit()),
        recent_transactions: recent,
        recent_transactions_of_selection: recent_of_selection,
    }
}

pub(crate) fn grantee_environment(world: &World, grantee: Grantee) -> Option<EnvironmentId> {
    match grantee {
        Grantee::User(u) => world.user(u).map(|u| u.environment),
        Grantee::Group(g) => world.group(g).map(|g| g.environment),
        Grantee::Organisation(o) => world.organisation(o).map(|o| o.environment),
    }
}

pub(crate) fn grantee_users(world: &World, grantee: Grantee) -> &[UserId] {
    match grantee {
        Grantee::User(_) => &[],
        Grantee::Group(g) => world.group_members(g),
        Grantee::Organisation(o) => world.members_of(o),
    }
}

pub(crate) fn separation(
    world: &World,
    environment: EnvironmentId,
    selected: &[OrganisationId],
    exported: Option<&BTreeSet<Sha256>>,
) -> SeparationPlan {
    let mut losses: BTreeMap<UserId, (Vec<OrganisationLoss>, Vec<DocumentLoss>)> = BTreeMap::new();
    let mut shares_removed: Vec<Share> = Vec::new();
    let mut group_shares: BTreeMap<GroupId, usize> = BTreeMap::new();
    let mut tasks: Vec<TaskImpact> = Vec::new();
    let mut documents_deleted = 0;
    let mut documents_not_exported = 0;

    // 1. Whoever sees a selected organisation loses it, and with it every one of
    //    its documents (an organisation-wide grant gives at least Edit on them).
    let mut whole: FxHashSet<(UserId, OrganisationId)> = FxHashSet::default();
    for o in selected {
        let resource = Resource::Organisation(*o);
        for holder in access::who_can(world, Action::ViewOrganisation, resource) {
            whole.insert((holder.user, *o));
            losses
                .entry(holder.user)
                .or_default()
                .0
                .push(OrganisationLoss {
                    organisation: *o,
                    access: access::access(world, holder.user, resource),
                    reasons: holder.reasons,
                    documents: world.document_count(*o),
                });
        }
    }

    // 2. The documents are deleted: whoever reaches one through a share loses it,
    //    its shares go, its open tasks go with it.
    let mut seen: FxHashSet<(UserId, DocumentId)> = FxHashSet::default();
    for o in selected {
        for d in world.documents_of(*o) {
            documents_deleted += 1;
            let covered = match (exported, world.document(d)) {
                (Some(set), Some(doc)) => set.contains(&doc.sha256),
                (Some(_), None) => false,
                (None, _) => world
                    .export_of(*o)
                    .is_some_and(|e| e.documents.binary_search(&d).is_ok()),
            };
            if !covered {
                documents_not_exported += 1;
            }
            for share in world.shares_of(d) {
                shares_removed.push(*share);
                let direct = match share.grantee {
                    Grantee::User(u) => Some(u),
                    Grantee::Group(g) => {
                        *group_shares.entry(g).or_default() += 1;
                        None
                    }
                    Grantee::Organisation(_) => None,
                };
                let users = direct
                    .iter()
                    .chain(grantee_users(world, share.grantee).iter());
                for u in users {
                    if whole.contains(&(*u, *o)) || !seen.insert((*u, d)) {
                        continue;
                    }
                    let (level, reasons) = access::document_level(world, *u, d);
                    if level.is_some() {
                        losses.entry(*u).or_default().1.push(DocumentLoss {
                            document: d,
                            organisation: *o,
                            before: Access::of_level(level),
                            after: Access::NONE,
                            reasons,
                        });
                    }
                }
            }
            for task in world.tasks_of(d) {
                if let Some(t) = world.task(*task).filter(|t| t.is_open()) {
                    tasks.push(TaskImpact {
                        task: *task,
                        document: d,
                        assignee: t.assignee,
                        outcome: TaskOutcome::Deleted,
                    });
                }
            }
        }
    }

    // 3. The rest of the cascade (memberships, shares with the organisations, keys,
    //    cost bearing) applied to a copy of the world and compared, as a preview.
    let Cascade {
        mut cascade,
        revoked,
        shares: revoked_shares,
        keys: mut keys_revoked,
        cost_bearing,
    } = removal_cascade(world, selected, SIMULATED);
    shares_removed.extend(revoked_shares);
    cascade.extend(revoked.iter().cloned());
    let (after, more) = simulate(world, &cascade);
    for change in access_changes(world, &after, &revoked) {
        let Resource::Document(d) = change.resource else {
            continue;
        };
        let organisation = world
            .document(d)
            .map_or(OrganisationId::from_u128(0), |doc| doc.organisation);
        losses.entry(change.user).or_default().1.push(DocumentLoss {
            document: d,
            organisation,
            before: change.before,
            after: change.after,
            reasons: change.reasons_before,
        });
    }
    for event in &more {
        match event {
            Event::ConnectionKeyRevoked { key, .. }
                if !keys_revoked.iter().any(|k| k.key == *key) =>
            {
                keys_revoked.extend(key_impact(world, *key));
            }
            Event::TaskReassigned { task, to, .. } => {
                let Some(t) = world.task(*task) else { continue };
                let deleted = world
                    .document(t.document)
                    .is_some_and(|doc| selected.binary_search(&doc.organisation).is_ok());
                if !deleted {
                    tasks.push(TaskImpact {
                        task: *task,
                        document: t.document,
                        assignee: t.assignee,
                        outcome: TaskOutcome::Reassigned { to: *to },
                    });
                }
            }
            _ => {}
        }
    }
    sort_unstable_by_key(&mut tasks, |t| t.task);
    sort_unstable_by_key(&mut keys_revoked, |k| k.key);

    // 4. Partnerships the selection relies on.
    let mut partnerships_to_recreate = Vec::new();
    let mut relationship_managers = Vec::new();
    for p in world.partnerships_of(environment) {
        let Some(p) = world.partnership(*p).filter(|p| p.is_active()) else {
            continue;
        };
        let partner = p.other_side(environment);
        let mut members: Vec<UserId> = selected
            .iter()
            .flat_map(|o| world.members_of(*o).iter().copied())
            .filter(|u| world.user(*u).is_some_and(|u| u.environment == partner))
            .collect();
        sort_dedup(&mut members);
        let shares = shares_removed
            .iter()
            .filter(|s| {
                let grantee_env = grantee_environment(world, s.grantee);
                let document_env = world.document(s.document).map(|d| d.environment);
                grantee_env == Some(partner) || document_env == Some(partner)
            })
            .count();
        let bears_costs_of: Vec<OrganisationId> = cost_bearing
            .iter()
            .filter(|c| c.bearer == partner)
            .map(|c| c.organisation)
            .collect();
        if members.is_empty() && shares == 0 && bears_costs_of.is_empty() {
            continue;
        }
        relationship_managers.extend(p.relationship_managers.iter().map(|user| {
            RelationshipManagerLink {
                partnership: p.id,
                user: *user,
            }
        }));
        partnerships_to_recreate.push(PartnershipToRecreate {
            partnership: p.id,
            partner,
            members,
            shares,
            bears_costs_of,
            relationship_managers: p.relationship_managers.clone(),
        });
    }

    let groups = group_shares
        .into_iter()
        .filter_map(|(group, shares)| {
            world.group(group).map(|g| GroupImpact {
                group,
                environment: g.environment,
                members: world.group_members(group).to_vec(),
                shares,
            })
        })
        .collect();

    let peppol = selected
        .iter()
        .filter_map(|o| world.organisation(*o))
        .map(|org| PeppolGap {
            organisation: org.id,
            participant_id: org.participant_id.clone(),
            registered: org.status == OrgStatus::Active,
            unreachable_during: SplitStep::PEPPOL_GAP.to_vec(),
            reachable_again_at: SplitStep::ActivateOrganisation,
        })
        .collect();

    let losses = losses
        .into_iter()
        .map(|(user, (organisations, mut documents))| {
            sort_unstable_by_key(&mut documents, |d| d.document);
            let home = world.user(user).map_or(environment, |u| u.environment);
            UserLoss {
                user,
                home,
                partner: home != environment,
                organisations,
                documents,
            }
        })
        .collect();

    SeparationPlan {
        losses,
        documents_deleted,
        documents_not_exported,
        export_known: exported.is_some() || selected.iter().any(|o| world.export_of(*o).is_some()),
        shares_removed,
        groups,
        tasks,
        keys_revoked,
        relationship_managers,
        partnerships_to_recreate,
        cost_bearing,
        credit: credit(world, environment, selected, true),
        peppol,
        steps: SplitStep::ALL.to_vec(),
    }
}
