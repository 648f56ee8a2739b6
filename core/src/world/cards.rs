//! What a check needs of a user, and of a pair of environments, one memory
//! access each.
//!
//! A check on a document reads the document's slot ([`crate::world::homes`]) and, at
//! the same time, the user's side. In a large world both miss the cache, so the
//! user's side must be one memory access too, not a chain of lookups (the
//! user's record, their environment's standings, their organisations) each
//! waiting for the one before.
//!
//! A [`Card`] holds all of the user's side a check needs in one 64-byte slot:
//! the user's environment (as a number, [`crate::world::numbers`]), whether the user
//! is active and an Administrator, and a filter of the organisations the user
//! is a member of. The filter answers "certainly not a member" for most
//! organisations a user is not in (a Bloom filter: two bits of 320 per
//! organisation); only when it says "maybe" does a check read the membership
//! itself. It never says "no" for an organisation the user is in.
//!
//! [`PairStandings`] keeps, for each pair of environments that ever had a
//! partnership, whether they are partnered now or when the latest one ended:
//! once both slots have arrived, one probe into a small table decides whether
//! the user reaches the document's environment.

use crate::model::ids::{OrganisationId, Timestamp, UserId};
use crate::model::Standing;
use crate::world::flat::{mix128, FlatSlot, FlatTable};
use crate::world::numbers::{EnvNumber, EnvironmentNumbers};

/// What a check needs of a user (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    pub environment: EnvNumber,
    pub active: bool,
    pub administrator: bool,
    filter: Filter,
}

impl Card {
    /// The card of a user of `environment` who is a member of `organisations`.
    pub fn new(
        environment: EnvNumber,
        active: bool,
        administrator: bool,
        organisations: &[OrganisationId],
    ) -> Self {
        Self {
            environment,
            active,
            administrator,
            filter: Filter::of(organisations),
        }
    }

    /// False if the user is certainly not a member of `organisation`; true if
    /// the user may be (and always if the user is).
    #[inline]
    pub fn may_be_member_of(&self, organisation: OrganisationId) -> bool {
        self.filter.may_hold(organisation)
    }
}

/// A Bloom filter of 320 bits with two bits per organisation: with 35
/// organisations (a firm's accountant) about one "maybe" in twenty-five for
/// an organisation the user is not in, with 100 about one in five.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Filter([u64; 5]);

const FILTER_BITS: u64 = 320;

impl Filter {
    fn of(organisations: &[OrganisationId]) -> Self {
        let mut filter = Filter::default();
        for organisation in organisations {
            for bit in Self::bits(*organisation) {
                if let Some(word) = filter.0.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
            }
        }
        filter
    }

    /// The two bits of `organisation`: two 32-bit halves of one hash, each
    /// brought into range by a multiplication (no division).
    #[inline]
    fn bits(organisation: OrganisationId) -> [usize; 2] {
        let hash = mix128(organisation.0.as_u128());
        let range = |half: u64| (((half & 0xFFFF_FFFF) * FILTER_BITS) >> 32) as usize;
        [range(hash), range(hash >> 32)]
    }

    #[inline]
    fn may_hold(&self, organisation: OrganisationId) -> bool {
        Self::bits(organisation).into_iter().all(|bit| {
            self.0
                .get(bit / 64)
                .is_some_and(|word| (word >> (bit % 64)) & 1 == 1)
        })
    }
}

/// A card's slot: one cache line. Free when `flags` is zero.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct CardSlot {
    user: UserId,
    environment: EnvNumber,
    flags: u32,
    filter: Filter,
}

const OCCUPIED: u32 = 1;
const ACTIVE: u32 = 2;
const ADMINISTRATOR: u32 = 4;

impl FlatSlot for CardSlot {
    type Key = UserId;
    const FREE: Self = CardSlot {
        user: UserId::from_u128(0),
        environment: 0,
        flags: 0,
        filter: Filter([0; 5]),
    };
    #[inline]
    fn is_free(&self) -> bool {
        self.flags == 0
    }
    #[inline]
    fn key(&self) -> UserId {
        self.user
    }
    #[inline]
    fn hash(user: &UserId) -> u64 {
        mix128(user.0.as_u128())
    }
}

impl CardSlot {
    fn card(&self) -> Card {
        Card {
            environment: self.environment,
            active: self.flags & ACTIVE != 0,
            administrator: self.flags & ADMINISTRATOR != 0,
            filter: self.filter,
        }
    }
}

/// Every user's [`Card`].
#[derive(Clone, Default)]
pub struct UserCards {
    table: FlatTable<CardSlot>,
}

impl UserCards {
    /// The card of `user`.
    #[inline]
    pub fn get(&self, user: UserId) -> Option<Card> {
        self.table.get(user).map(|slot| slot.card())
    }

    /// Puts the card of `user`, in place of the one it had.
    pub fn put(&mut self, user: UserId, card: Card) {
        let flag = |set: bool, bit: u32| if set { bit } else { 0 };
        self.table.insert(CardSlot {
            user,
            environment: card.environment,
            flags: OCCUPIED | flag(card.active, ACTIVE) | flag(card.administrator, ADMINISTRATOR),
            filter: card.filter,
        });
    }

    /// Whether this index (numbered by `mine`) holds the same cards as `other`
    /// (numbered by `theirs`), environments compared by what they name.
    pub fn same_as(
        &self,
        mine: &EnvironmentNumbers,
        other: &UserCards,
        theirs: &EnvironmentNumbers,
    ) -> bool {
        self.table.len() == other.table.len()
            && other.table.iter().all(|slot| {
                let there = slot.card();
                self.get(slot.user).is_some_and(|here| {
                    mine.same_environment(here.environment, theirs, there.environment)
                        && Card {
                            environment: there.environment,
                            ..here
                        } == there
                })
            })
    }
}

impl std::fmt::Debug for UserCards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserCards(len = {})", self.table.len())
    }
}

/// A pair's slot, the smaller number first. Free when `state` is zero.
#[derive(Clone, Copy)]
struct PairSlot {
    pair: (EnvNumber, EnvNumber),
    state: u32,
    ended: i64,
}

const PARTNERED: u32 = 1;
const ENDED: u32 = 2;

impl FlatSlot for PairSlot {
    type Key = (EnvNumber, EnvNumber);
    const FREE: Self = PairSlot {
        pair: (0, 0),
        state: 0,
        ended: 0,
    };
    #[inline]
    fn is_free(&self) -> bool {
        self.state == 0
    }
    #[inline]
    fn key(&self) -> (EnvNumber, EnvNumber) {
        self.pair
    }
    #[inline]
    fn hash((a, b): &(EnvNumber, EnvNumber)) -> u64 {
        mix128((u128::from(*a) << 64) | u128::from(*b))
    }
}

impl PairSlot {
    fn standing(&self) -> Option<Standing> {
        match self.state {
            PARTNERED => Some(Standing::Partnered),
            ENDED => Some(Standing::Ended {
                at: Timestamp(self.ended),
            }),
            _ => None,
        }
    }
}

fn ordered(a: EnvNumber, b: EnvNumber) -> (EnvNumber, EnvNumber) {
    (a.min(b), a.max(b))
}

/// The standing of every pair of environments that ever had a partnership.
#[derive(Clone, Default)]
pub struct PairStandings {
    table: FlatTable<PairSlot>,
}

impl PairStandings {
    /// The standing of `a` and `b`, in either order: `None` if they never had
    /// a partnership.
    #[inline]
    pub fn get(&self, a: EnvNumber, b: EnvNumber) -> Option<Standing> {
        self.table
            .get(ordered(a, b))
            .and_then(|slot| slot.standing())
    }

    /// Sets the standing of `a` and `b` (`None`: they have had none).
    pub fn set(&mut self, a: EnvNumber, b: EnvNumber, standing: Option<Standing>) {
        let pair = ordered(a, b);
        match standing {
            None => self.table.remove(pair),
            Some(Standing::Partnered) => self.table.insert(PairSlot {
                pair,
                state: PARTNERED,
                ended: 0,
            }),
            Some(Standing::Ended { at }) => self.table.insert(PairSlot {
                pair,
                state: ENDED,
                ended: at.0,
            }),
        }
    }

    /// Whether this index (numbered by `mine`) holds the same standings as
    /// `other` (numbered by `theirs`), environments compared by what they name.
    pub fn same_as(
        &self,
        mine: &EnvironmentNumbers,
        other: &PairStandings,
        theirs: &EnvironmentNumbers,
    ) -> bool {
        let named = |numbers: &EnvironmentNumbers, n| numbers.environment(n);
        self.table.len() == other.table.len()
            && other.table.iter().all(|slot| {
                let (a, b) = slot.pair;
                let (Some(a), Some(b)) = (named(theirs, a), named(theirs, b)) else {
                    return false;
                };
                let (Some(a), Some(b)) = (mine.number(a), mine.number(b)) else {
                    return false;
                };
                self.get(a, b) == slot.standing()
            })
    }
}

impl std::fmt::Debug for PairStandings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PairStandings(len = {})", self.table.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::EnvironmentId;
    use proptest::prelude::*;

    fn organisation(n: u128) -> OrganisationId {
        OrganisationId::from_u128(n)
    }

    #[test]
    fn a_card_is_found_with_what_it_was_given() {
        let mut cards = UserCards::default();
        let user = UserId::from_u128(5);
        assert_eq!(cards.get(user), None);
        let card = Card::new(3, true, false, &[organisation(1)]);
        cards.put(user, card);
        assert_eq!(cards.get(user), Some(card));
        let disabled = Card::new(3, false, true, &[]);
        cards.put(user, disabled);
        assert_eq!(cards.get(user), Some(disabled));
        assert_eq!(std::mem::size_of::<CardSlot>(), 64);
    }

    #[test]
    fn a_pair_has_one_standing_whichever_side_asks() {
        let mut pairs = PairStandings::default();
        assert_eq!(pairs.get(1, 2), None);
        pairs.set(2, 1, Some(Standing::Partnered));
        assert_eq!(pairs.get(1, 2), Some(Standing::Partnered));
        let ended = Standing::Ended { at: Timestamp(77) };
        pairs.set(1, 2, Some(ended));
        assert_eq!(pairs.get(2, 1), Some(ended));
        pairs.set(1, 2, None);
        assert_eq!(pairs.get(2, 1), None);
    }

    #[test]
    fn indexes_numbered_differently_are_the_same_if_they_name_the_same_environments() {
        let (x, y) = (EnvironmentId::from_u128(1), EnvironmentId::from_u128(2));
        let (mut first, mut second) =
            (EnvironmentNumbers::default(), EnvironmentNumbers::default());
        for (numbers, order) in [(&mut first, [x, y]), (&mut second, [y, x])] {
            for environment in order {
                numbers.assign(environment);
            }
        }
        let user = UserId::from_u128(9);
        let card_in = |numbers: &EnvironmentNumbers, environment| {
            let mut cards = UserCards::default();
            let number = numbers.number(environment).unwrap_or(0);
            cards.put(user, Card::new(number, true, true, &[organisation(4)]));
            cards
        };
        assert!(card_in(&first, x).same_as(&first, &card_in(&second, x), &second));
        assert!(!card_in(&first, x).same_as(&first, &card_in(&second, y), &second));
        let mut pairs = (PairStandings::default(), PairStandings::default());
        pairs.0.set(0, 1, Some(Standing::Partnered));
        pairs.1.set(1, 0, Some(Standing::Partnered));
        assert!(pairs.0.same_as(&first, &pairs.1, &second));
        pairs
            .1
            .set(1, 0, Some(Standing::Ended { at: Timestamp(1) }));
        assert!(!pairs.0.same_as(&first, &pairs.1, &second));
    }

    proptest! {
        #[test]
        fn a_card_never_says_a_user_is_not_a_member_of_an_organisation_the_user_is_in(
            members in prop::collection::vec(any::<u128>(), 0..200),
            others in prop::collection::vec(any::<u128>(), 1..50),
        ) {
            let organisations: Vec<OrganisationId> = members.iter().map(|n| organisation(*n)).collect();
            let card = Card::new(0, true, false, &organisations);
            for o in &organisations {
                prop_assert!(card.may_be_member_of(*o));
            }
            if organisations.is_empty() {
                for n in others {
                    prop_assert!(!card.may_be_member_of(organisation(n)));
                }
            }
        }
    }

    #[test]
    fn a_card_rules_out_most_organisations_of_others() {
        // 35 organisations, as a firm's accountant in the benchmark world has.
        let mine: Vec<OrganisationId> = (1..=35).map(|n| organisation(n * 7919)).collect();
        let card = Card::new(0, true, false, &mine);
        let maybe = (1_000_000..1_010_000)
            .filter(|n| card.may_be_member_of(organisation(*n)))
            .count();
        // Expected about 4 %: (1 − e^(−70/320))² = 0.039.
        assert!(maybe < 800, "{maybe} of 10,000 said maybe");
    }
}
