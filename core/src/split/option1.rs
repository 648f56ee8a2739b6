//! Option 1 (manage access): who keeps which organisations, and the
//! membership changes that follow, shared by the simulator and the command.

use crate::model::command::{Actor, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::split::*;
use crate::model::*;
use crate::util::sort::{sort_dedup, sort_unstable_by_key};
use crate::world::World;

/// The acting user, an Administrator of `environment`.
pub(crate) fn administrator<'w>(
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
pub(crate) fn selection(
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

/// What an option-1 plan rests on: the selection and the organisations whose
/// access it changes (the ones a user merely keeps are not part of it), and the
/// chosen users. Both sorted.
pub(crate) fn option1_fingerprint_scope(
    selected: &[OrganisationId],
    keep: &[Keep],
    changes: &[MembershipChange],
) -> (Vec<OrganisationId>, Vec<UserId>) {
    let mut organisations = selected.to_vec();
    organisations.extend(changes.iter().map(MembershipChange::organisation));
    sort_dedup(&mut organisations);
    let mut users: Vec<UserId> = keep.iter().map(|k| k.user).collect();
    sort_dedup(&mut users);
    (organisations, users)
}

pub(crate) fn is_administrator_of(world: &World, user: UserId, environment: EnvironmentId) -> bool {
    world
        .user(user)
        .is_some_and(|u| u.environment == environment && u.role == EnvRole::Administrator)
}

/// `user`'s organisations in `environment` (not removed), sorted.
pub(crate) fn memberships_in(
    world: &World,
    user: UserId,
    environment: EnvironmentId,
) -> Vec<OrganisationId> {
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
pub(crate) fn resolve_keep(
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

/// The membership changes that give each user exactly their organisations of
/// `environment`, by user then organisation. New memberships are `Member`s.
pub(crate) fn membership_changes(
    world: &World,
    environment: EnvironmentId,
    keep: &[Keep],
) -> Vec<MembershipChange> {
    let mut changes = Vec::new();
    for k in keep {
        let current = memberships_in(world, k.user, environment);
        let mut mine: Vec<(OrganisationId, MembershipChange)> = Vec::new();
        for o in &current {
            if k.organisations.binary_search(o).is_err() {
                mine.push((
                    *o,
                    MembershipChange::RemoveMember {
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
                    MembershipChange::AddMember {
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

/// The events of membership commands.
pub(crate) fn change_events(changes: &[MembershipChange], at: Timestamp) -> Vec<Event> {
    changes
        .iter()
        .map(|c| match *c {
            MembershipChange::AddMember {
                organisation,
                user,
                role,
            } => Event::MembershipGranted {
                user,
                organisation,
                role,
                at,
            },
            MembershipChange::RemoveMember { organisation, user } => {
                Event::MembershipRemoved { user, organisation }
            }
        })
        .collect()
}
