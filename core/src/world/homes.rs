//! Where each document lives, in one memory access: the table a check reads first.
//!
//! A check needs two facts of a document, its organisation and its environment.
//! In the documents table they sit in the document's bucket, which a hash map
//! reaches through its control bytes: two dependent cache misses into hundreds of
//! megabytes, each with its page walk, and most of a check's time. This index
//! keeps, per document, its id, its organisation, its environment's number
//! ([`crate::world::numbers`]) and whether it may have shares, 36 bytes in a
//! [`FlatTable`]: the probe that finds the id has the answer in the same line
//! (and a check asks for a document's shares only if it may have any: nine in
//! ten have none, and that lookup is a miss of its own). The mark is set when a
//! document gets a share and stays when its last share goes, so that removing
//! shares, which previews of ending a partnership do by the dozen, copies no
//! shard of this table. The organisation is kept whole: a table of numbered
//! organisations would not stay in the cache (measured: a second lookup into
//! 20,000 of them cost a quarter of a check).

use crate::model::ids::{DocumentId, EnvironmentId, OrganisationId};
use crate::world::flat::{mix128, FlatSlot, FlatTable};
use crate::world::numbers::{EnvNumber, EnvironmentNumbers, MAX_NUMBER};

/// A document's organisation and environment: all a decision needs of it.
pub type Home = (OrganisationId, EnvironmentId);

/// A document as this index knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub organisation: OrganisationId,
    pub environment: EnvNumber,
    /// Whether the document may have shares (see the module documentation).
    pub shared: bool,
}

/// See the module documentation.
#[derive(Clone, Default)]
pub struct DocumentHomes {
    table: FlatTable<Slot>,
}

/// A slot: a document, its organisation and its tag (the number of its
/// environment, with [`SHARED`] set if it may have shares), or free ([`EMPTY`]).
#[derive(Clone, Copy)]
struct Slot {
    document: DocumentId,
    organisation: OrganisationId,
    tag: u32,
}

/// The tag bit saying that the document may have shares.
const SHARED: u32 = 1 << 31;

/// The tag of a free slot. Environment numbers stay at or below
/// [`MAX_NUMBER`], so no document's tag is ever this.
const EMPTY: u32 = u32::MAX;

impl FlatSlot for Slot {
    type Key = DocumentId;
    const FREE: Self = Slot {
        document: DocumentId::from_u128(0),
        organisation: OrganisationId::from_u128(0),
        tag: EMPTY,
    };
    #[inline]
    fn is_free(&self) -> bool {
        self.tag == EMPTY
    }
    #[inline]
    fn key(&self) -> DocumentId {
        self.document
    }
    #[inline]
    fn hash(document: &DocumentId) -> u64 {
        mix128(document.0.as_u128())
    }
}

impl Slot {
    fn found(&self) -> Found {
        Found {
            organisation: self.organisation,
            environment: self.tag & !SHARED,
            shared: self.tag & SHARED != 0,
        }
    }
}

impl DocumentHomes {
    /// The number of documents.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no document has a home.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Where `document` lives, and whether it may have shares.
    #[inline]
    pub fn lookup(&self, document: DocumentId) -> Option<Found> {
        self.table.get(document).map(|slot| slot.found())
    }

    /// Records where `document` lives and whether it may have shares (a
    /// document never moves: the same home again changes only the latter).
    pub fn insert(&mut self, document: DocumentId, found: Found) {
        if found.environment > MAX_NUMBER {
            return;
        }
        self.table.insert(Slot {
            document,
            organisation: found.organisation,
            tag: found.environment | if found.shared { SHARED } else { 0 },
        });
    }

    /// Records whether `document` may have shares (nothing if it has no
    /// home). The world marks a document when it gets a share and leaves the
    /// mark when the last share goes (see [`DocumentHomes::covers`]).
    pub fn set_shared(&mut self, document: DocumentId, shared: bool) {
        if let Some(found) = self.lookup(document) {
            if found.shared != shared {
                self.insert(document, Found { shared, ..found });
            }
        }
    }

    /// Forgets `document`.
    pub fn remove(&mut self, document: DocumentId) {
        self.table.remove(document);
    }

    /// Every document with where it lives, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (DocumentId, Found)> + '_ {
        self.table.iter().map(|slot| (slot.document, slot.found()))
    }

    /// Whether this index (numbered by `mine`) agrees with `exact`, one rebuilt
    /// from the tables (numbered by `theirs`): the same documents in the same
    /// organisations and environments, and every document `exact` marks as
    /// shared marked here too. This one may mark more: a mark means "may have
    /// shares" (a check then reads the share table, and finds what is there),
    /// and the world does not clear it when a share is removed.
    pub fn covers(
        &self,
        mine: &EnvironmentNumbers,
        exact: &DocumentHomes,
        theirs: &EnvironmentNumbers,
    ) -> bool {
        self.len() == exact.len()
            && exact.iter().all(|(document, there)| {
                self.lookup(document).is_some_and(|here| {
                    here.organisation == there.organisation
                        && mine.same_environment(here.environment, theirs, there.environment)
                        && (here.shared || !there.shared)
                })
            })
    }
}

impl std::fmt::Debug for DocumentHomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocumentHomes(len = {})", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn home(n: u8, shared: bool) -> Found {
        Found {
            organisation: OrganisationId::from_u128(u128::from(n) + 1),
            environment: EnvNumber::from(n % 3),
            shared,
        }
    }

    fn numbers() -> EnvironmentNumbers {
        let mut numbers = EnvironmentNumbers::default();
        for n in 0..5 {
            numbers.assign(EnvironmentId::from_u128(n + 100));
        }
        numbers
    }

    #[test]
    fn a_document_is_found_in_its_home_until_it_is_removed() {
        let mut homes = DocumentHomes::default();
        let document = DocumentId::from_u128(7);
        assert_eq!(homes.lookup(document), None);
        homes.insert(document, home(1, false));
        assert_eq!(homes.lookup(document), Some(home(1, false)));
        assert_eq!(homes.len(), 1);
        homes.insert(document, home(1, false));
        assert_eq!(homes.len(), 1);
        homes.remove(document);
        assert_eq!(homes.lookup(document), None);
        assert!(homes.is_empty());
    }

    #[test]
    fn the_nil_id_is_a_document_like_any_other() {
        let mut homes = DocumentHomes::default();
        let nil = DocumentId::from_u128(0);
        assert_eq!(homes.lookup(nil), None);
        homes.insert(nil, home(2, false));
        assert_eq!(homes.lookup(nil), Some(home(2, false)));
        homes.remove(nil);
        assert_eq!(homes.lookup(nil), None);
    }

    #[test]
    fn a_copy_is_not_changed_by_writes_to_the_original() {
        let mut homes = DocumentHomes::default();
        let (a, b) = (DocumentId::from_u128(1), DocumentId::from_u128(2));
        homes.insert(a, home(1, false));
        let copy = homes.clone();
        homes.insert(b, home(2, false));
        homes.remove(a);
        assert_eq!(copy.lookup(a), Some(home(1, false)));
        assert_eq!(copy.lookup(b), None);
        assert_eq!(homes.lookup(b), Some(home(2, false)));
    }

    #[test]
    fn whether_a_document_has_shares_is_kept_with_its_home() {
        let mut homes = DocumentHomes::default();
        let document = DocumentId::from_u128(9);
        homes.insert(document, home(1, false));
        let before = homes.clone();
        homes.set_shared(document, true);
        assert_eq!(homes.lookup(document), Some(home(1, true)));
        assert_eq!(before.lookup(document), Some(home(1, false)));
        homes.set_shared(document, false);
        assert_eq!(homes.lookup(document), Some(home(1, false)));
        assert_eq!(homes.len(), 1);
        // A document without a home gets none from a share.
        homes.set_shared(DocumentId::from_u128(10), true);
        assert_eq!(homes.lookup(DocumentId::from_u128(10)), None);
    }

    #[test]
    fn an_index_covers_an_exact_one_if_it_marks_at_least_as_many_documents_shared() {
        let numbers = numbers();
        let (a, b) = (DocumentId::from_u128(1), DocumentId::from_u128(2));
        let mut exact = DocumentHomes::default();
        exact.insert(a, home(1, true));
        exact.insert(b, home(2, false));
        let covers = |x: &DocumentHomes, y: &DocumentHomes| x.covers(&numbers, y, &numbers);
        let mut marked_more = exact.clone();
        marked_more.set_shared(b, true);
        assert!(covers(&marked_more, &exact));
        assert!(covers(&exact, &exact));
        // Marking fewer, another home, or other documents does not cover.
        assert!(!covers(&exact, &marked_more));
        let mut moved = exact.clone();
        moved.insert(b, home(4, false));
        assert!(!covers(&moved, &exact));
        let mut fewer = exact.clone();
        fewer.remove(b);
        assert!(!covers(&fewer, &exact));
        assert!(!covers(&exact, &fewer));
    }

    #[test]
    fn indexes_numbered_differently_cover_each_other_by_the_environments_named() {
        let (x, y) = (EnvironmentId::from_u128(1), EnvironmentId::from_u128(2));
        let (mut first, mut second) =
            (EnvironmentNumbers::default(), EnvironmentNumbers::default());
        first.assign(x);
        first.assign(y);
        second.assign(y);
        second.assign(x);
        let document = DocumentId::from_u128(3);
        let organisation = OrganisationId::from_u128(4);
        let at = |numbers: &EnvironmentNumbers, environment| {
            let mut homes = DocumentHomes::default();
            homes.insert(
                document,
                Found {
                    organisation,
                    environment: numbers.number(environment).unwrap_or(MAX_NUMBER),
                    shared: false,
                },
            );
            homes
        };
        assert!(at(&first, x).covers(&first, &at(&second, x), &second));
        assert!(!at(&first, x).covers(&first, &at(&second, y), &second));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u8),
        Remove(u16),
        Shared(u16, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u16..600, 0u8..12).prop_map(|(d, h)| Op::Insert(d, h)),
            2 => (0u16..600).prop_map(Op::Remove),
            2 => (0u16..600, any::<bool>()).prop_map(|(d, s)| Op::Shared(d, s)),
        ]
    }

    fn id(n: u16) -> DocumentId {
        // Half the ids counters in the low half, half in the high half.
        let n = u128::from(n);
        DocumentId::from_u128(if n % 2 == 0 { n } else { n << 64 })
    }

    proptest! {
        #[test]
        fn document_homes_answer_as_a_plain_map_does(ops in prop::collection::vec(op(), 1..2000)) {
            let mut homes = DocumentHomes::default();
            let mut model: BTreeMap<u16, Found> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(d, h) => {
                        // A document never moves: the model keeps its first home.
                        let found = *model.entry(d).or_insert(home(h, false));
                        homes.insert(id(d), found);
                    }
                    Op::Remove(d) => {
                        model.remove(&d);
                        homes.remove(id(d));
                    }
                    Op::Shared(d, shared) => {
                        if let Some(entry) = model.get_mut(&d) {
                            entry.shared = shared;
                        }
                        homes.set_shared(id(d), shared);
                    }
                }
            }
            prop_assert_eq!(homes.len(), model.len());
            for d in 0..600u16 {
                prop_assert_eq!(homes.lookup(id(d)), model.get(&d).copied());
            }
            prop_assert_eq!(homes.iter().count(), model.len());
        }
    }
}
