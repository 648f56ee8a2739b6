//! The access engine of `preflight-core` against `cedar-policy`, on the same world
//! and the same queries (DOMAIN §1, §3: who may view, edit, manage a document).
//!
//! Setup (not timed): the default synthetic world (200 environments, 1,000,000
//! documents, 100,000 shares), 10,000 queries from `generate::queries`, and the
//! same facts as one Cedar entity store holding every environment, organisation,
//! group, user and document. That is the most favourable deployment for Cedar: a
//! real service would more likely load the principal's slice and the one document
//! per request, which costs more per check, not less.
//!
//! Timed, per check: preflight is `check(&world, user, action, resource)`; Cedar
//! is building the `Request` from the same typed ids (entity uids from the UUIDs,
//! no request validation against the schema: the ids are well-typed by
//! construction) plus `Authorizer::is_authorized` against the prebuilt store.
//!
//! Before timing, every one of the 10,000 decisions is compared; any disagreement
//! (or any Cedar evaluation error, which would silently skip a policy) fails the
//! bench with the first cases printed.
//!
//! Cedar model:
//! - `Environment { partners: Set<Environment> }`: the actively partnered ones.
//! - `Organisation { environment, managers: OrgManagers }`, and one
//!   `OrgManagers in [Organisation]` per organisation.
//! - `Group`.
//! - `User { home, role, active } in [Group, Organisation, OrgManagers]`: a
//!   `Member` has its organisation as parent, a `Manager` the organisation's
//!   `OrgManagers` (so it is in the organisation too, transitively).
//! - `Document { organisation, environment, viewUsers, viewGroups,
//!   viewOrganisations, edit…, manage… }`: its shares, by level and grantee kind
//!   (schema sets are homogeneous).
//! - actions `View in [Edit]`, `Edit in [Manage]`, `Manage`: `action in
//!   Action::"Edit"` is "everything an Edit grant allows".

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use criterion::{Criterion, Throughput};
use preflight_core::generate::{mix, near_misses, queries, Query, Synthetic, SyntheticConfig};
use preflight_core::{check, Action, EnvRole, Grantee, Level, OrgRole, Resource, World};
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

const SCHEMA: &str = r#"
entity Environment {
  partners: Set<Environment>
};
entity OrgManagers in [Organisation];
entity Organisation {
  environment: Environment,
  managers: OrgManagers
};
entity Group;
entity User in [Group, Organisation, OrgManagers] {
  home: Environment,
  role: String,
  active: Bool
};
entity Document {
  organisation: Organisation,
  environment: Environment,
  viewUsers: Set<User>,
  viewGroups: Set<Group>,
  viewOrganisations: Set<Organisation>,
  editUsers: Set<User>,
  editGroups: Set<Group>,
  editOrganisations: Set<Organisation>,
  manageUsers: Set<User>,
  manageGroups: Set<Group>,
  manageOrganisations: Set<Organisation>
};
action Manage appliesTo { principal: User, resource: Document };
action Edit in [Manage] appliesTo { principal: User, resource: Document };
action View in [Edit] appliesTo { principal: User, resource: Document };
action ViewOrganisation, ManageOrganisationSettings, RetrieveConnectionKey,
  ConfigureSoftwareConnection, ManageMembers, ActivateOrganisation
  appliesTo { principal: User, resource: Organisation };
"#;

const POLICIES: &str = r#"
// Administrator of the document's environment (from that environment): Manage.
@id("administrator")
permit (principal is User, action in Action::"Manage", resource is Document)
when { principal.role == "Administrator" && principal.home == resource.environment };

// Organisation Manager: Manage; Member (and Manager): Edit.
@id("organisation-manager")
permit (principal is User, action in Action::"Manage", resource is Document)
when { principal in resource.organisation.managers };

@id("organisation-member")
permit (principal is User, action in Action::"Edit", resource is Document)
when { principal in resource.organisation };

// Shares to a user, to every member of a group, to every member of an
// organisation, at their level.
@id("shared-view")
permit (principal is User, action in Action::"View", resource is Document)
when {
  principal in resource.viewUsers ||
  principal in resource.viewGroups ||
  principal in resource.viewOrganisations
};

@id("shared-edit")
permit (principal is User, action in Action::"Edit", resource is Document)
when {
  principal in resource.editUsers ||
  principal in resource.editGroups ||
  principal in resource.editOrganisations
};

@id("shared-manage")
permit (principal is User, action in Action::"Manage", resource is Document)
when {
  principal in resource.manageUsers ||
  principal in resource.manageGroups ||
  principal in resource.manageOrganisations
};

// Nothing reaches a disabled user, nor a user whose home is neither the
// document's environment nor actively partnered with it.
@id("reach")
forbid (principal is User, action, resource is Document)
unless {
  principal.active &&
  (principal.home == resource.environment ||
   resource.environment.partners.contains(principal.home))
};

// Organisation actions (DOMAIN §4): the Administrator of its environment, from
// that environment, may do all of them.
@id("organisation-administrator")
permit (principal is User, action, resource is Organisation)
when { principal.role == "Administrator" && principal.home == resource.environment };

@id("organisation-view")
permit (principal is User, action == Action::"ViewOrganisation", resource is Organisation)
when { principal in resource };

// Its settings: a Manager of its own environment.
@id("organisation-settings")
permit (principal is User, action == Action::"ManageOrganisationSettings", resource is Organisation)
when { principal in resource.managers && principal.home == resource.environment };

// Connection keys and the software connection: a member who is an advanced user.
@id("organisation-software")
permit (
  principal is User,
  action in [Action::"RetrieveConnectionKey", Action::"ConfigureSoftwareConnection"],
  resource is Organisation
)
when { principal in resource && principal.role != "User" };

@id("organisation-reach")
forbid (principal is User, action, resource is Organisation)
unless {
  principal.active &&
  (principal.home == resource.environment ||
   resource.environment.partners.contains(principal.home))
};
"#;

/// Entity type names, parsed once.
struct Types {
    environment: EntityTypeName,
    organisation: EntityTypeName,
    managers: EntityTypeName,
    group: EntityTypeName,
    user: EntityTypeName,
    document: EntityTypeName,
}

impl Types {
    fn new() -> Self {
        let t = |s: &str| EntityTypeName::from_str(s).expect("entity type name");
        Types {
            environment: t("Environment"),
            organisation: t("Organisation"),
            managers: t("OrgManagers"),
            group: t("Group"),
            user: t("User"),
            document: t("Document"),
        }
    }
}

/// The Cedar uid of an entity of type `ty` with id `id`.
fn uid(ty: &EntityTypeName, id: uuid::Uuid) -> EntityUid {
    let mut buf = [0u8; 36];
    let s = id.hyphenated().encode_lower(&mut buf);
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(&*s))
}

fn entity_ref(ty: &EntityTypeName, id: uuid::Uuid) -> RestrictedExpression {
    RestrictedExpression::new_entity_uid(uid(ty, id))
}

fn set(values: Vec<RestrictedExpression>) -> RestrictedExpression {
    RestrictedExpression::new_set(values)
}

fn entity(
    uid: EntityUid,
    attrs: Vec<(&str, RestrictedExpression)>,
    parents: HashSet<EntityUid>,
) -> Entity {
    let attrs: HashMap<String, RestrictedExpression> =
        attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Entity::new(uid, attrs, parents).expect("entity attributes evaluate")
}

/// Cedar's view of the world, and everything needed to ask it.
struct Cedar {
    types: Types,
    actions: HashMap<Action, EntityUid>,
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    schema: Schema,
    /// Every entity by uid, for per-request slices.
    by_uid: HashMap<EntityUid, Entity>,
}

impl Cedar {
    fn new(world: &World) -> (Self, usize) {
        let (schema, warnings) = Schema::from_cedarschema_str(SCHEMA).expect("schema parses");
        for w in warnings {
            println!("schema warning: {w}");
        }
        let policies = PolicySet::from_str(POLICIES).expect("policies parse");
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        assert!(
            validation.validation_passed(),
            "policies do not validate: {validation}"
        );
        let types = Types::new();
        let list = Self::entities(world, &types);
        let count = list.len();
        let by_uid = list.iter().map(|e| (e.uid(), e.clone())).collect();
        // With the schema: every entity is checked against it, and the action
        // hierarchy (View in Edit in Manage) comes from it.
        let entities = Entities::from_entities(list, Some(&schema)).expect("entities conform");
        let action = |s: &str| EntityUid::from_str(&format!("Action::\"{s}\"")).expect("action");
        (
            Cedar {
                types,
                actions: [
                    Action::View,
                    Action::Edit,
                    Action::Manage,
                    Action::ViewOrganisation,
                    Action::ManageOrganisationSettings,
                    Action::RetrieveConnectionKey,
                    Action::ConfigureSoftwareConnection,
                    Action::ManageMembers,
                    Action::ActivateOrganisation,
                ]
                .into_iter()
                .map(|a| (a, action(&format!("{a:?}"))))
                .collect(),
                policies,
                entities,
                authorizer: Authorizer::new(),
                schema,
                by_uid,
            },
            count,
        )
    }

    fn entities(world: &World, t: &Types) -> Vec<Entity> {
        let mut out = Vec::new();
        for e in world.environments() {
            let partners = world
                .partners_of(e.id)
                .into_iter()
                .map(|p| entity_ref(&t.environment, p.0))
                .collect();
            out.push(entity(
                uid(&t.environment, e.id.0),
                vec![("partners", set(partners))],
                HashSet::new(),
            ));
        }
        for o in world.organisations() {
            let org = uid(&t.organisation, o.id.0);
            let managers = uid(&t.managers, o.id.0);
            out.push(Entity::new_no_attrs(
                managers.clone(),
                HashSet::from([org.clone()]),
            ));
            out.push(entity(
                org,
                vec![
                    ("environment", entity_ref(&t.environment, o.environment.0)),
                    ("managers", RestrictedExpression::new_entity_uid(managers)),
                ],
                HashSet::new(),
            ));
        }
        for g in world.groups() {
            out.push(Entity::new_no_attrs(uid(&t.group, g.id.0), HashSet::new()));
        }
        for u in world.users() {
            let mut parents: HashSet<EntityUid> = world
                .groups_of_user(u.id)
                .iter()
                .map(|g| uid(&t.group, g.0))
                .collect();
            for o in world.organisations_of_user(u.id) {
                match world.membership(u.id, *o).map(|m| m.role) {
                    Some(OrgRole::Member) => parents.insert(uid(&t.organisation, o.0)),
                    Some(OrgRole::Manager) => parents.insert(uid(&t.managers, o.0)),
                    None => false,
                };
            }
            let role = match u.role {
                EnvRole::Administrator => "Administrator",
                EnvRole::AdvancedUser => "AdvancedUser",
                EnvRole::User => "User",
            };
            out.push(entity(
                uid(&t.user, u.id.0),
                vec![
                    ("home", entity_ref(&t.environment, u.environment.0)),
                    ("role", RestrictedExpression::new_string(role.to_string())),
                    ("active", RestrictedExpression::new_bool(u.is_active())),
                ],
                parents,
            ));
        }
        for d in world.documents() {
            // [level][users, groups, organisations]
            let mut shares: [[Vec<RestrictedExpression>; 3]; 3] = Default::default();
            for s in world.shares_of(d.id) {
                let level = match s.level {
                    Level::View => 0,
                    Level::Edit => 1,
                    Level::Manage => 2,
                };
                let (kind, grantee) = match s.grantee {
                    Grantee::User(u) => (0, entity_ref(&t.user, u.0)),
                    Grantee::Group(g) => (1, entity_ref(&t.group, g.0)),
                    Grantee::Organisation(o) => (2, entity_ref(&t.organisation, o.0)),
                };
                shares[level][kind].push(grantee);
            }
            let [[vu, vg, vo], [eu, eg, eo], [mu, mg, mo]] = shares;
            out.push(entity(
                uid(&t.document, d.id.0),
                vec![
                    (
                        "organisation",
                        entity_ref(&t.organisation, d.organisation.0),
                    ),
                    ("environment", entity_ref(&t.environment, d.environment.0)),
                    ("viewUsers", set(vu)),
                    ("viewGroups", set(vg)),
                    ("viewOrganisations", set(vo)),
                    ("editUsers", set(eu)),
                    ("editGroups", set(eg)),
                    ("editOrganisations", set(eo)),
                    ("manageUsers", set(mu)),
                    ("manageGroups", set(mg)),
                    ("manageOrganisations", set(mo)),
                ],
                HashSet::new(),
            ));
        }
        out
    }

    /// The Cedar request for a query, built from its typed ids.
    fn request(&self, q: &Query) -> Request {
        let action = self
            .actions
            .get(&q.action)
            .unwrap_or_else(|| panic!("no Cedar action for {:?}", q.action));
        let resource = match q.resource {
            Resource::Document(document) => uid(&self.types.document, document.0),
            Resource::Organisation(organisation) => uid(&self.types.organisation, organisation.0),
            other => panic!("not modelled in Cedar: {other:?}"),
        };
        Request::new(
            uid(&self.types.user, q.user.0),
            action.clone(),
            resource,
            Context::empty(),
            None,
        )
        .expect("request")
    }

    /// The entities one request needs, as a service that loads the
    /// principal's and the resource's slice per request would hold them.
    fn slice(&self, world: &World, q: &Query) -> Entities {
        let t = &self.types;
        let mut uids = vec![uid(&t.user, q.user.0)];
        if let Some(u) = world.user(q.user) {
            uids.push(uid(&t.environment, u.environment.0));
        }
        uids.extend(
            world
                .groups_of_user(q.user)
                .iter()
                .map(|g| uid(&t.group, g.0)),
        );
        for o in world.organisations_of_user(q.user) {
            uids.push(uid(&t.organisation, o.0));
            uids.push(uid(&t.managers, o.0));
        }
        let organisation = match q.resource {
            Resource::Document(d) => {
                uids.push(uid(&t.document, d.0));
                world.document(d).map(|d| d.organisation)
            }
            Resource::Organisation(o) => Some(o),
            _ => None,
        };
        if let Some(o) = organisation.and_then(|o| world.organisation(o)) {
            uids.push(uid(&t.organisation, o.id.0));
            uids.push(uid(&t.managers, o.id.0));
            uids.push(uid(&t.environment, o.environment.0));
        }
        uids.sort();
        uids.dedup();
        let slice = uids.iter().filter_map(|u| self.by_uid.get(u).cloned());
        Entities::from_entities(slice, Some(&self.schema)).expect("slice conforms")
    }

    fn is_authorized(&self, q: &Query) -> bool {
        let response =
            self.authorizer
                .is_authorized(&self.request(q), &self.policies, &self.entities);
        response.decision() == Decision::Allow
    }
}

/// Checks per second of `decide` over the whole list, repeated for at least `at_least`.
fn rate(queries: &[Query], at_least: Duration, mut decide: impl FnMut(&Query) -> bool) -> f64 {
    let start = Instant::now();
    let mut done = 0usize;
    loop {
        for q in queries {
            black_box(decide(black_box(q)));
        }
        done += queries.len();
        if start.elapsed() >= at_least {
            break;
        }
    }
    done as f64 / start.elapsed().as_secs_f64()
}

fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Builds Cedar's store for `world`, holds every answer to `qs` identical to
/// preflight's, and prints checks per second: preflight, Cedar with the request
/// built in the timed loop, and Cedar with the requests built before it.
fn compare(name: &str, world: &World, qs: &[Query]) -> Cedar {
    let started = Instant::now();
    let (cedar, count) = Cedar::new(world);
    println!(
        "{name}: cedar entity store: {count} entities built in {:.1} s (process RSS {} MiB)",
        started.elapsed().as_secs_f64(),
        resident_mib().map_or_else(|| "?".into(), |m| m.to_string())
    );

    // Same decision on every query, and no evaluation error on the way.
    let mut disagreements = Vec::new();
    let mut errors = 0usize;
    for q in qs {
        let ours = check(world, q.user, q.action, q.resource);
        let response =
            cedar
                .authorizer
                .is_authorized(&cedar.request(q), &cedar.policies, &cedar.entities);
        let theirs = response.decision() == Decision::Allow;
        let errs: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        errors += errs.len();
        if ours.allowed != theirs || !errs.is_empty() {
            let reasons: Vec<String> = response
                .diagnostics()
                .reason()
                .map(|p| p.to_string())
                .collect();
            disagreements.push(format!(
                "{q:?}: preflight {} {:?}; cedar {theirs} by {reasons:?}, errors {errs:?}",
                ours.allowed, ours.reasons
            ));
        }
    }
    for d in disagreements.iter().take(10) {
        println!("DISAGREEMENT {d}");
    }
    assert!(
        disagreements.is_empty(),
        "{name}: {} of {} queries disagree ({errors} Cedar evaluation errors)",
        disagreements.len(),
        qs.len()
    );
    println!("{name}: all {} decisions agree", qs.len());

    let preflight = rate(qs, Duration::from_secs(2), |q| {
        check(world, q.user, q.action, q.resource).allowed
    });
    let inside = rate(qs, Duration::from_secs(2), |q| cedar.is_authorized(q));
    let requests: Vec<Request> = qs.iter().map(|q| cedar.request(q)).collect();
    let mut next = 0usize;
    let outside = rate(qs, Duration::from_secs(2), |_| {
        let request = &requests[next % requests.len()];
        next += 1;
        cedar
            .authorizer
            .is_authorized(request, &cedar.policies, &cedar.entities)
            .decision()
            == Decision::Allow
    });
    // Each request against its own slice of entities, built outside the loop.
    let slices: Vec<Entities> = qs.iter().map(|q| cedar.slice(world, q)).collect();
    for (q, (request, slice)) in qs.iter().zip(requests.iter().zip(&slices)) {
        let theirs = cedar
            .authorizer
            .is_authorized(request, &cedar.policies, slice)
            .decision()
            == Decision::Allow;
        assert_eq!(
            theirs,
            check(world, q.user, q.action, q.resource).allowed,
            "{name}: a slice decides {q:?} otherwise"
        );
    }
    let mut next = 0usize;
    let sliced = rate(qs, Duration::from_secs(2), |_| {
        let i = next % requests.len();
        next += 1;
        cedar
            .authorizer
            .is_authorized(&requests[i], &cedar.policies, &slices[i])
            .decision()
            == Decision::Allow
    });
    println!(
        "{name}: checks/s preflight = {preflight:.0}, cedar = {inside:.0} (requests built outside the loop: {outside:.0}; each against its own slice of entities, built outside: {sliced:.0}); ratio = {:.1} ({:.1} with the requests built outside, {:.1} against slices)",
        preflight / inside,
        preflight / outside,
        preflight / sliced
    );
    cedar
}

fn main() {
    let config = SyntheticConfig::default();
    let started = Instant::now();
    let (world, info) = Synthetic::build(&config);
    println!(
        "world: {:?}, built in {:.1} s",
        world.stats(),
        started.elapsed().as_secs_f64()
    );
    let qs = queries(&world, &info, &config, 10_000, 1);
    let m = mix(&world, &qs);
    println!(
        "mix: total {}, denied {} ({:.1}%), through partnership or group {} ({:.1}%)",
        m.total,
        m.denied,
        100.0 * m.denied as f64 / m.total as f64,
        m.through_partnership_or_group,
        100.0 * m.through_partnership_or_group as f64 / m.total as f64
    );
    assert!(m.denied * 2 >= m.total, "denials under 50%: {m:?}");
    assert!(
        m.through_partnership_or_group * 5 >= m.total,
        "partnership/group under 20%: {m:?}"
    );
    let cedar = compare("tuned", &world, &qs);

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("compare");
        group.throughput(Throughput::Elements(1));
        let mut i = 0usize;
        group.bench_function("preflight_check", |b| {
            b.iter(|| {
                let q = &qs[i % qs.len()];
                i += 1;
                check(&world, q.user, q.action, q.resource).allowed
            })
        });
        let mut i = 0usize;
        group.bench_function("cedar_is_authorized", |b| {
            b.iter(|| {
                let q = &qs[i % qs.len()];
                i += 1;
                cedar.is_authorized(q)
            })
        });
        group.finish();
    }
    c.final_summary();
    drop((cedar, world));

    // A mix nobody tuned for: random v4 ids from another seed, documents and
    // shares inserted in shuffled order, half allowed and half near misses over
    // document and organisation actions.
    let started = Instant::now();
    let (world, info) = Synthetic::build_untuned(&config, 0x05ee_d1d5);
    println!(
        "untuned world: {:?}, built in {:.1} s",
        world.stats(),
        started.elapsed().as_secs_f64()
    );
    let qs = near_misses(&world, &info, 10_000, 2);
    let m = mix(&world, &qs);
    let organisations = qs
        .iter()
        .filter(|q| matches!(q.resource, Resource::Organisation(_)))
        .count();
    println!(
        "untuned mix: total {}, denied {} ({:.1}%), organisation queries {organisations}, through partnership or group {}",
        m.total,
        m.denied,
        100.0 * m.denied as f64 / m.total as f64,
        m.through_partnership_or_group
    );
    compare("untuned", &world, &qs);
}
