//! Whether a split plan still holds: the facts it was computed on, digested
//! per category into its fingerprint, and checked again before it is executed.

use crate::model::error::CommandError;
use crate::model::fingerprint::*;
use crate::model::ids::*;
use crate::model::split::*;
use crate::model::*;
use crate::util::sort::sort_dedup;
use crate::world::World;

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

pub(crate) fn grantee_code(grantee: Grantee) -> (u8, uuid::Uuid) {
    match grantee {
        Grantee::User(u) => (0, u.0),
        Grantee::Group(g) => (1, g.0),
        Grantee::Organisation(o) => (2, o.0),
    }
}

/// The digests of every category, for the organisations `organisations` (sorted)
/// of `environment` and the extra `users`.
pub(crate) fn facts(
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
