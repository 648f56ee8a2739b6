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

use crate::access::DocumentAccessor;
use crate::access::{self, Access, Action, Resource};
use crate::execute::{consequences, execute};
use crate::model::command::{Actor, Command, Context, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::preview::{access_changes, access_with_reasons};
use crate::util::sort::{sort_dedup, sort_unstable_by_key};
use crate::world::World;
use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};

use crate::model::bundle::{BundleDocument, Manifest, FORMAT};
pub use crate::model::split::*;

/// Whether a plan an Administrator of `plan.environment` sends names, in its
/// fingerprint, only what they may see: organisations of the environment and
/// users of it or of an actively partnered one. Anything else answers as a
/// plan gone stale, the same whether it exists or not, so that a crafted
/// fingerprint cannot ask the world about other environments (freshness reads
/// every id it names). An honest plan meets this unless it went stale.
pub(crate) fn check_scope(world: &World, plan: &SplitPlan) -> Result<(), CommandError> {
    let print = &plan.fingerprint;
    if print.environment != plan.environment {
        return Err(CommandError::invalid(
            "plan",
            "its fingerprint is for another environment",
        ));
    }
    let own_organisation = |o: &OrganisationId| {
        world
            .organisation(*o)
            .is_some_and(|org| org.environment == plan.environment)
    };
    if !print.organisations.iter().all(own_organisation)
        || !plan.organisations.iter().all(own_organisation)
    {
        return Err(StalePlan {
            changed: vec![Fact::Organisations],
        }
        .into());
    }
    let seen = |u: &UserId| {
        world
            .user(*u)
            .is_some_and(|user| world.reaches(plan.environment, user.environment))
    };
    if !print.users.iter().all(seen) {
        return Err(StalePlan {
            changed: vec![Fact::Users],
        }
        .into());
    }
    Ok(())
}

/// Whether `plan` still rests on the facts of `world`; if not, which categories
/// changed.
pub fn check_fresh(world: &World, plan: &SplitPlan) -> Result<(), StalePlan> {
    check_fingerprint(world, &plan.fingerprint)
}

/// Whether the facts a plan's `print` was taken of still hold in `world`.
pub fn check_fingerprint(world: &World, print: &Fingerprint) -> Result<(), StalePlan> {
    let now = facts(world, print.environment, &print.organisations, &print.users);
    let changed: Vec<Fact> = Fact::ALL
        .into_iter()
        .filter(|fact| {
            let was = print.facts.iter().find(|f| f.fact == *fact);
            let is = now.iter().find(|f| f.fact == *fact);
            was != is
        })
        .collect();
    if changed.is_empty() {
        Ok(())
    } else {
        Err(StalePlan { changed })
    }
}

/// An incremental SHA-256 with helpers for the world's values.
struct Feed(sha2::Sha256);

impl Feed {
    fn new() -> Self {
        use sha2::Digest;
        Feed(sha2::Sha256::new())
    }
    fn bytes(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        self.0.update(bytes);
    }
    fn uuid(&mut self, id: &uuid::Uuid) {
        self.bytes(id.as_bytes());
    }
    fn number(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }
    fn byte(&mut self, b: u8) {
        self.bytes(&[b]);
    }
    fn text(&mut self, text: &str) {
        self.number(text.len() as u64);
        self.bytes(text.as_bytes());
    }
    fn finish(self) -> Sha256 {
        use sha2::Digest;
        Sha256(self.0.finalize().into())
    }
}

fn grantee_code(grantee: Grantee) -> (u8, uuid::Uuid) {
    match grantee {
        Grantee::User(u) => (0, u.0),
        Grantee::Group(g) => (1, g.0),
        Grantee::Organisation(o) => (2, o.0),
    }
}

/// The digests of every category, for the organisations `organisations` (sorted)
/// of `environment` and the extra `users`.
fn facts(
    world: &World,
    environment: EnvironmentId,
    organisations: &[OrganisationId],
    users: &[UserId],
) -> Vec<FactDigest> {
    let mut f_orgs = Feed::new();
    let mut f_users = Feed::new();
    let mut f_memberships = Feed::new();
    let mut f_documents = Feed::new();
    let mut f_shares = Feed::new();
    let mut f_groups = Feed::new();
    let mut f_tasks = Feed::new();
    let mut f_keys = Feed::new();
    let mut f_partnerships = Feed::new();
    let mut f_costs = Feed::new();
    let mut f_credit = Feed::new();

    let mut involved: Vec<UserId> = users.to_vec();
    let mut members: Vec<UserId> = users.to_vec();
    let mut groups: Vec<GroupId> = Vec::new();
    let mut environments: Vec<EnvironmentId> = vec![environment];
    involved.extend(world.users_of(environment).iter().copied().filter(|u| {
        world
            .user(*u)
            .is_some_and(|u| u.role == EnvRole::Administrator)
    }));

    let feed_task = |feed: &mut Feed, task: TaskId| {
        feed.uuid(&task.0);
        match world.task(task) {
            None => feed.byte(0),
            Some(t) => {
                feed.byte(1);
                feed.uuid(&t.document.0);
                feed.uuid(&t.assignee.0);
                feed.byte(u8::from(t.is_open()));
                feed.number(t.trail.len() as u64);
            }
        }
    };
    // A document's shares and tasks, and the users and groups its shares name.
    let document_facts = |document: DocumentId,
                          f_shares: &mut Feed,
                          f_tasks: &mut Feed,
                          involved: &mut Vec<UserId>,
                          groups: &mut Vec<GroupId>| {
        let shares = world.shares_of(document);
        if !shares.is_empty() {
            f_shares.uuid(&document.0);
            f_shares.number(shares.len() as u64);
            for share in shares {
                let (code, id) = grantee_code(share.grantee);
                f_shares.byte(code);
                f_shares.uuid(&id);
                f_shares.byte(share.level as u8);
                match share.grantee {
                    Grantee::User(u) => involved.push(u),
                    Grantee::Group(g) => groups.push(g),
                    Grantee::Organisation(o) => involved.extend_from_slice(world.members_of(o)),
                }
            }
        }
        for task in world.tasks_of(document) {
            feed_task(f_tasks, *task);
        }
    };

    for o in organisations {
        f_orgs.uuid(&o.0);
        f_costs.uuid(&o.0);
        match world.organisation(*o) {
            None => f_orgs.byte(0),
            Some(org) => {
                f_orgs.byte(1);
                f_orgs.uuid(&org.environment.0);
                f_orgs.byte(org.status as u8);
                f_orgs.text(&org.participant_id);
                f_costs.uuid(&org.cost_bearer.0);
            }
        }
        members.extend_from_slice(world.members_of(*o));
        f_documents.uuid(&o.0);
        f_documents.number(world.document_count(*o) as u64);
        for d in world.documents_of(*o) {
            f_documents.uuid(&d.0);
            document_facts(d, &mut f_shares, &mut f_tasks, &mut involved, &mut groups);
        }
        for f in world.keys_of(*o) {
            f_keys.uuid(&f.0);
            if let Some(k) = world.key(*f) {
                f_keys.uuid(&k.holder.0);
                f_keys.byte(u8::from(k.is_valid()));
            }
        }
    }
    // Other organisations' documents shared with the selected ones.
    for o in organisations {
        f_shares.uuid(&o.0);
        for d in world.documents_shared_with(Grantee::Organisation(*o)) {
            let Some(doc) = world.document(d) else {
                continue;
            };
            if organisations.binary_search(&doc.organisation).is_ok() {
                continue;
            }
            environments.push(doc.environment);
            document_facts(d, &mut f_shares, &mut f_tasks, &mut involved, &mut groups);
        }
    }

    sort_dedup(&mut members);
    for u in &members {
        f_memberships.uuid(&u.0);
        for o in world.organisations_of_user(*u) {
            f_memberships.uuid(&o.0);
            f_memberships.byte(world.membership(*u, *o).map_or(9, |m| m.role as u8));
        }
        f_tasks.uuid(&u.0);
        for task in world.open_tasks_of(*u) {
            feed_task(&mut f_tasks, *task);
        }
    }

    sort_dedup(&mut groups);
    for g in &groups {
        f_groups.uuid(&g.0);
        f_groups.byte(u8::from(world.group(*g).is_some()));
        let list = world.group_members(*g);
        f_groups.number(list.len() as u64);
        for u in list {
            f_groups.uuid(&u.0);
        }
        involved.extend_from_slice(list);
    }

    involved.extend_from_slice(&members);
    sort_dedup(&mut involved);
    for u in &involved {
        f_users.uuid(&u.0);
        match world.user(*u) {
            None => f_users.byte(0),
            Some(user) => {
                f_users.byte(1);
                f_users.uuid(&user.environment.0);
                f_users.byte(user.role as u8);
                f_users.byte(u8::from(user.is_active()));
            }
        }
    }

    sort_dedup(&mut environments);
    for e in &environments {
        f_partnerships.uuid(&e.0);
        for p in world.partnerships_of(*e) {
            f_partnerships.uuid(&p.0);
            if let Some(p) = world.partnership(*p) {
                f_partnerships.uuid(&p.requester.0);
                f_partnerships.uuid(&p.accepter.0);
                f_partnerships.byte(u8::from(p.is_active()));
                f_partnerships.number(p.relationship_managers.len() as u64);
                for u in &p.relationship_managers {
                    f_partnerships.uuid(&u.0);
                }
            }
        }
    }

    f_credit.byte(u8::from(world.environment(environment).is_some()));
    for entry in world.ledger_of(environment) {
        if entry
            .organisation
            .is_some_and(|o| organisations.binary_search(&o).is_ok())
        {
            f_credit.number(entry.at.0 as u64);
            f_credit.number(entry.amount as u64);
        }
    }

    let digests = [
        f_orgs,
        f_users,
        f_memberships,
        f_documents,
        f_shares,
        f_groups,
        f_tasks,
        f_keys,
        f_partnerships,
        f_costs,
        f_credit,
    ];
    Fact::ALL
        .into_iter()
        .zip(digests)
        .map(|(fact, feed)| FactDigest {
            fact,
            digest: feed.finish(),
        })
        .collect()
}

/// The fingerprint of the facts about `organisations` and `users` in `world`
/// for a plan of `environment`: what a plan records, and what `check_fresh`
/// compares with.
pub fn fingerprint(
    world: &World,
    environment: EnvironmentId,
    mut organisations: Vec<OrganisationId>,
    mut users: Vec<UserId>,
) -> Fingerprint {
    sort_dedup(&mut organisations);
    sort_dedup(&mut users);
    let facts = facts(world, environment, &organisations, &users);
    Fingerprint {
        environment,
        organisations,
        users,
        facts,
    }
}

// ---------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------

/// Simulated events carry no meaningful time: the core reads no clock, and no
/// time of a simulated event shows in a plan.
const SIMULATED: Timestamp = Timestamp(0);

/// The acting user, an Administrator of `environment`.
fn administrator<'w>(
    world: &'w World,
    actor: &Actor,
    environment: EnvironmentId,
) -> Result<&'w User, CommandError> {
    let me = actor
        .user_id()
        .and_then(|id| world.user(id))
        .filter(|u| u.is_active());
    // Another environment answers as one that does not exist.
    let (Some(me), Some(env)) = (
        me.filter(|me| me.environment == environment),
        world.environment(environment),
    ) else {
        return Err(CommandError::not_found("environment"));
    };
    if crate::access::check(
        world,
        me.id,
        crate::access::Action::SplitEnvironment,
        crate::access::Resource::Environment(environment),
    )
    .allowed
    {
        Ok(me)
    } else {
        Err(CommandError::NotPermitted(format!(
            "only an Administrator of environment {} may simulate or execute splitting it",
            env.name
        )))
    }
}

/// The selection, sorted: organisations of `environment`, not removed, at least one.
fn selection(
    world: &World,
    environment: EnvironmentId,
    organisations: &[OrganisationId],
) -> Result<Vec<OrganisationId>, CommandError> {
    let mut out = organisations.to_vec();
    sort_dedup(&mut out);
    if out.is_empty() {
        return Err(CommandError::invalid(
            "organisations",
            "choose at least one organisation to split off",
        ));
    }
    for o in &out {
        let found = world
            .organisation(*o)
            .is_some_and(|org| org.environment == environment && org.status != OrgStatus::Removed);
        if !found {
            return Err(CommandError::not_found("organisation"));
        }
    }
    Ok(out)
}

impl SplitComparison {
    /// Drops from both plans every user the viewer may not see (DOMAIN §1): the
    /// server sends a comparison only in this form. What such users lose stays
    /// counted where a plan counts (documents, shares), never named.
    pub fn restrict_to(&mut self, visible: impl Fn(UserId) -> bool) {
        self.manage_access.restrict_to(&visible);
        self.full_separation.restrict_to(&visible);
    }
}

impl SplitPlan {
    /// See [`SplitComparison::restrict_to`].
    pub fn restrict_to(&mut self, visible: &impl Fn(UserId) -> bool) {
        match &mut self.impact {
            // `keep` and `changes` are what `ApplyAccessPlan` executes; they name
            // members of the environment's own organisations, whom its
            // Administrator sees, and are left whole.
            SplitImpact::ManageAccess(plan) => {
                plan.access_changes.retain(|c| visible(c.user));
                plan.administrators.retain(|u| visible(*u));
                plan.keys_revoked.retain(|k| visible(k.holder));
                plan.tasks_reassigned.retain(|t| visible(t.assignee));
            }
            SplitImpact::FullSeparation(plan) => {
                plan.losses.retain(|l| visible(l.user));
                for group in &mut plan.groups {
                    group.members.retain(|u| visible(*u));
                }
                plan.tasks.retain(|t| visible(t.assignee));
                plan.keys_revoked.retain(|k| visible(k.holder));
                plan.relationship_managers.retain(|l| visible(l.user));
                for partnership in &mut plan.partnerships_to_recreate {
                    partnership.members.retain(|u| visible(*u));
                    partnership.relationship_managers.retain(|u| visible(*u));
                }
            }
        }
    }
}

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
            validate_changes(world, actor, &changes)?;
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

/// What an option-1 plan rests on: the selection and the organisations whose
/// access it changes (the ones a user merely keeps are not part of it), and the
/// chosen users. Both sorted.
fn option1_fingerprint_scope(
    selected: &[OrganisationId],
    keep: &[Keep],
    changes: &[Command],
) -> (Vec<OrganisationId>, Vec<UserId>) {
    let mut organisations = selected.to_vec();
    organisations.extend(changes.iter().filter_map(change_organisation));
    sort_dedup(&mut organisations);
    let mut users: Vec<UserId> = keep.iter().map(|k| k.user).collect();
    sort_dedup(&mut users);
    (organisations, users)
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

fn is_administrator_of(world: &World, user: UserId, environment: EnvironmentId) -> bool {
    world
        .user(user)
        .is_some_and(|u| u.environment == environment && u.role == EnvRole::Administrator)
}

/// `user`'s organisations in `environment` (not removed), sorted.
fn memberships_in(world: &World, user: UserId, environment: EnvironmentId) -> Vec<OrganisationId> {
    world
        .organisations_of_user(user)
        .iter()
        .copied()
        .filter(|o| {
            world.organisation(*o).is_some_and(|org| {
                org.environment == environment && org.status != OrgStatus::Removed
            })
        })
        .collect()
}

/// Option 1's assignment: the one asked for, checked, or the default proposal.
fn resolve_keep(
    world: &World,
    environment: EnvironmentId,
    selected: &[OrganisationId],
    keep: Option<&[Keep]>,
) -> Result<Vec<Keep>, CommandError> {
    let Some(keep) = keep else {
        let mut users: Vec<UserId> = selected
            .iter()
            .flat_map(|o| world.members_of(*o).iter().copied())
            .collect();
        sort_dedup(&mut users);
        return Ok(users
            .into_iter()
            .filter(|u| !is_administrator_of(world, *u, environment))
            .map(|user| {
                let current = memberships_in(world, user, environment);
                let within = current.iter().all(|o| selected.binary_search(o).is_ok());
                let organisations = if within {
                    current
                } else {
                    current
                        .into_iter()
                        .filter(|o| selected.binary_search(o).is_err())
                        .collect()
                };
                Keep {
                    user,
                    organisations,
                }
            })
            .collect());
    };
    let mut out: Vec<Keep> = Vec::with_capacity(keep.len());
    for k in keep {
        // Only the users an Administrator of the environment sees.
        let user = world
            .user(k.user)
            .filter(|u| world.reaches(environment, u.environment))
            .ok_or_else(|| CommandError::not_found("user"))?;
        if is_administrator_of(world, k.user, environment) {
            return Err(CommandError::invalid(
                "keep",
                format!(
                    "{} is an Administrator and keeps the overview of every organisation; assign another role first",
                    user.name
                ),
            ));
        }
        let mut organisations = k.organisations.clone();
        sort_dedup(&mut organisations);
        for o in &organisations {
            let ok = world.organisation(*o).is_some_and(|org| {
                org.environment == environment && org.status != OrgStatus::Removed
            });
            if !ok {
                return Err(CommandError::not_found("organisation"));
            }
        }
        out.push(Keep {
            user: k.user,
            organisations,
        });
    }
    sort_unstable_by_key(&mut out, |k| k.user);
    if out
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.user == b.user))
    {
        return Err(CommandError::invalid("keep", "a user is listed twice"));
    }
    Ok(out)
}

/// The membership commands that give each user exactly their organisations of
/// `environment`, by user then organisation. New memberships are `Member`s.
fn membership_changes(world: &World, environment: EnvironmentId, keep: &[Keep]) -> Vec<Command> {
    let mut changes = Vec::new();
    for k in keep {
        let current = memberships_in(world, k.user, environment);
        let mut mine: Vec<(OrganisationId, Command)> = Vec::new();
        for o in &current {
            if k.organisations.binary_search(o).is_err() {
                mine.push((
                    *o,
                    Command::RemoveMember {
                        organisation: *o,
                        user: k.user,
                    },
                ));
            }
        }
        for o in &k.organisations {
            if current.binary_search(o).is_err() {
                mine.push((
                    *o,
                    Command::AddMember {
                        organisation: *o,
                        user: k.user,
                        role: OrgRole::Member,
                    },
                ));
            }
        }
        sort_unstable_by_key(&mut mine, |(o, _)| *o);
        changes.extend(mine.into_iter().map(|(_, c)| c));
    }
    changes
}

fn change_organisation(change: &Command) -> Option<OrganisationId> {
    match change {
        Command::AddMember { organisation, .. } | Command::RemoveMember { organisation, .. } => {
            Some(*organisation)
        }
        _ => None,
    }
}

/// Each change must be one the rules allow the actor on its own (eligibility of
/// partner users, the actor's rights).
fn validate_changes(world: &World, actor: &Actor, changes: &[Command]) -> Result<(), CommandError> {
    let ctx = Context {
        now: SIMULATED,
        new_ids: Vec::new(),
    };
    for change in changes {
        execute(world, actor, change.clone(), &ctx)?;
    }
    Ok(())
}

/// The events of membership commands.
fn change_events(changes: &[Command], at: Timestamp) -> Vec<Event> {
    changes
        .iter()
        .filter_map(|c| match c {
            Command::AddMember {
                organisation,
                user,
                role,
            } => Some(Event::MembershipGranted {
                user: *user,
                organisation: *organisation,
                role: *role,
                at,
            }),
            Command::RemoveMember { organisation, user } => Some(Event::MembershipRemoved {
                user: *user,
                organisation: *organisation,
            }),
            _ => None,
        })
        .collect()
}

/// Applies `events` and their consequences to a copy of `world`.
fn simulate(world: &World, events: &[Event]) -> (World, Vec<Event>) {
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

fn key_impact(world: &World, key: KeyId) -> Option<KeyImpact> {
    world.key(key).map(|k| KeyImpact {
        key,
        organisation: k.organisation,
        holder: k.holder,
    })
}

fn predict_access(
    world: &World,
    environment: EnvironmentId,
    selected: &[OrganisationId],
    keep: Vec<Keep>,
    changes: Vec<Command>,
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
fn planned_access(world: &World, after: &World, changes: &[Command]) -> Vec<PlannedAccess> {
    let mut by_user: BTreeMap<UserId, Vec<OrganisationId>> = BTreeMap::new();
    for change in changes {
        if let (Some(o), Command::AddMember { user, .. } | Command::RemoveMember { user, .. }) =
            (change_organisation(change), change)
        {
            by_user.entry(*user).or_default().push(o);
        }
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

fn credit(
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

fn grantee_environment(world: &World, grantee: Grantee) -> Option<EnvironmentId> {
    match grantee {
        Grantee::User(u) => world.user(u).map(|u| u.environment),
        Grantee::Group(g) => world.group(g).map(|g| g.environment),
        Grantee::Organisation(o) => world.organisation(o).map(|o| o.environment),
    }
}

fn grantee_users(world: &World, grantee: Grantee) -> &[UserId] {
    match grantee {
        Grantee::User(_) => &[],
        Grantee::Group(g) => world.group_members(g),
        Grantee::Organisation(o) => world.members_of(o),
    }
}

/// Option 2's impact.
/// What removing organisations changes besides deleting their documents: their
/// memberships, the shares of other documents with them, their valid connection
/// keys and the cost bearing that reverts.
pub(crate) struct Cascade {
    /// Membership, key and cost-bearing events.
    pub cascade: Vec<Event>,
    /// The shares of other organisations' documents with the removed ones.
    pub revoked: Vec<Event>,
    /// Those shares as they stand.
    pub shares: Vec<Share>,
    pub keys: Vec<KeyImpact>,
    pub cost_bearing: Vec<CostBearing>,
}

/// The cascade of removing `selected` (sorted), shared by the split plan and by
/// [`Command::ExecuteRemoval`], so that what the plan shows is what removal does.
pub(crate) fn removal_cascade(
    world: &World,
    selected: &[OrganisationId],
    at: Timestamp,
) -> Cascade {
    let mut out = Cascade {
        cascade: Vec::new(),
        revoked: Vec::new(),
        shares: Vec::new(),
        keys: Vec::new(),
        cost_bearing: Vec::new(),
    };
    for o in selected {
        for u in world.members_of(*o) {
            out.cascade.push(Event::MembershipRemoved {
                user: *u,
                organisation: *o,
            });
        }
        for d in world.documents_shared_with(Grantee::Organisation(*o)) {
            let elsewhere = world
                .document(d)
                .is_some_and(|doc| selected.binary_search(&doc.organisation).is_err());
            if !elsewhere {
                continue;
            }
            if let Some(share) = world
                .shares_of(d)
                .iter()
                .find(|s| s.grantee == Grantee::Organisation(*o))
            {
                out.shares.push(*share);
            }
            out.revoked.push(Event::ShareRevoked {
                document: d,
                grantee: Grantee::Organisation(*o),
            });
        }
        for key in world.keys_of(*o) {
            if world.key(*key).is_some_and(|k| k.is_valid()) {
                out.keys.extend(key_impact(world, *key));
                out.cascade.push(Event::ConnectionKeyRevoked {
                    key: *key,
                    reason: RevokeReason::OrganisationRemoved,
                    at,
                });
            }
        }
        if let Some(org) = world.organisation(*o) {
            if org.cost_bearer != org.environment {
                out.cost_bearing.push(CostBearing {
                    organisation: *o,
                    bearer: org.cost_bearer,
                });
                out.cascade.push(Event::CostBearerChanged {
                    organisation: *o,
                    bearer: org.environment,
                });
            }
        }
    }
    out
}

fn separation(
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

// ---------------------------------------------------------------------------
// Executing option 1
// ---------------------------------------------------------------------------

/// Decides [`Command::ApplyAccessPlan`]: the membership events of a fresh
/// option-1 plan. Its consequences (keys, tasks) are added by the caller, as for
/// every command.
pub(crate) fn apply_access_plan(
    world: &World,
    actor: &Actor,
    plan: &SplitPlan,
    now: Timestamp,
) -> Result<Vec<Event>, CommandError> {
    administrator(world, actor, plan.environment)?;
    let SplitImpact::ManageAccess(access_plan) = &plan.impact else {
        return Err(CommandError::invalid(
            "plan",
            "only option 1 (manage access) is executed as one command; a full separation goes through export, authorisation and removal",
        ));
    };
    check_scope(world, plan)?;
    check_fresh(world, plan)?;
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
    if (&plan.fingerprint.organisations, &plan.fingerprint.users) != (&expected.0, &expected.1) {
        return Err(CommandError::invalid(
            "plan",
            "its fingerprint does not cover the organisations and users it changes",
        ));
    }
    validate_changes(world, actor, &changes)?;
    Ok(change_events(&changes, now))
}

impl Manifest {
    /// The manifest of every document `organisation` holds now, or `None` for an
    /// unknown organisation.
    pub fn of(world: &World, organisation: OrganisationId) -> Option<Manifest> {
        let org = world.organisation(organisation)?;
        let documents = world
            .documents_of(organisation)
            .filter_map(|d| world.document(d))
            .map(|d| BundleDocument {
                id: d.id,
                doc_box: d.doc_box,
                name: d.name.clone(),
                sha256: d.sha256,
                size: d.size,
                at: d.at,
                summary: d.summary.clone(),
            })
            .collect();
        let mut manifest = Manifest {
            format: FORMAT.to_string(),
            organisation,
            environment: org.environment,
            name: org.name.clone(),
            participant_id: org.participant_id.clone(),
            documents,
            digest: Sha256::default(),
        };
        manifest.digest = manifest.compute_digest();
        Some(manifest)
    }
}
