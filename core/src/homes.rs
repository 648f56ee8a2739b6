//! Where each document lives, in one memory access: the table a check reads first.
//!
//! A check needs two facts of a document, its organisation and its environment.
//! In the documents table they sit in the document's bucket, which a hash map
//! reaches through its control bytes: two dependent cache misses into hundreds of
//! megabytes, each with its page walk, and most of a check's time. This index
//! keeps, per document, its id, its organisation and a small number naming its
//! environment, and whether it may have shares, 36 bytes in an open-addressed
//! table with linear probing: the probe that finds the id has the answer in the
//! same line (and a check asks for a document's shares only if it may have any:
//! nine in ten have none, and that lookup is a miss of its own). The mark is
//! set when a document gets a share and stays when its last share goes, so
//! that removing shares, which previews of ending a partnership do by the
//! dozen, copies no shard of this table. The environments
//! are few (a few hundred, 16 bytes each) and stay in the cache; a table of
//! organisations would not (measured: a second lookup into 20,000 of them cost
//! a quarter of a check).
//!
//! Like [`crate::cow_map::CowMap`], the table is cut into shards behind `Arc`s, so
//! a preview's copy of the world costs one pointer and a write copies one shard.
//! It is an index: derived from the documents, maintained by
//! [`crate::World::apply`], never serialised.

use crate::cow_map::{CowMap, SHARDS};
use crate::ids::{DocumentId, EnvironmentId, OrganisationId, ShardKey};
use std::sync::Arc;

/// A document's organisation and environment: all a decision needs of it.
pub type Home = (OrganisationId, EnvironmentId);

/// See the module documentation.
#[derive(Clone)]
pub struct DocumentHomes {
    // INVARIANT: `shards.len() == SHARDS`, and every document sits in shard
    // `document.shard_byte() as usize % SHARDS`.
    shards: Arc<Vec<Arc<HomeShard>>>,
    /// The environments slots point at, by their number. Only grows: a number,
    /// once given, names the same environment for the life of the index.
    environments: Arc<Vec<EnvironmentId>>,
    numbers: CowMap<EnvironmentId, u32>,
    len: usize,
}

/// A slot: a document, its organisation and its tag (the number of its
/// environment, with [`SHARED`] set if it has shares), or free ([`EMPTY`]).
#[derive(Clone, Copy)]
struct Slot {
    document: DocumentId,
    organisation: OrganisationId,
    tag: u32,
}

/// The tag bit saying that the document may have shares (it had some since it
/// was last recorded).
const SHARED: u32 = 1 << 31;

/// The tag of a free slot. Environment numbers stay below `SHARED - 1`, so no
/// document's tag is ever this.
const EMPTY: u32 = u32::MAX;

const FREE: Slot = Slot {
    document: DocumentId::from_u128(0),
    organisation: OrganisationId::from_u128(0),
    tag: EMPTY,
};

impl Slot {
    fn is_free(&self) -> bool {
        self.tag == EMPTY
    }

    fn environment(&self) -> usize {
        (self.tag & !SHARED) as usize
    }

    fn shared(&self) -> bool {
        self.tag & SHARED != 0
    }
}

/// One shard: open addressing with linear probing and backward-shift deletion,
/// so that no tombstones lengthen the probes.
#[derive(Clone, Default)]
struct HomeShard {
    // INVARIANT: `slots.len()` is zero or a power of two, more than a quarter
    // of the slots are free (so every probe ends), and each document sits at
    // or after its ideal slot with no free slot in between.
    slots: Vec<Slot>,
    len: usize,
}

impl HomeShard {
    /// The slot `document` would ideally sit in.
    fn ideal(&self, document: DocumentId) -> usize {
        let value = document.0.as_u128();
        let (low, high) = (value as u64, (value >> 64) as u64);
        // Two multiplications, not a fold of the halves: ids built from small
        // counters in both halves must not collide before the mixing.
        let mixed = (low.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ high)
            .wrapping_mul(0xD6E8_FEB8_6659_FD93)
            .rotate_left(32);
        (mixed as usize) & self.mask()
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Where `document` sits, or where the probe for it ended (a free slot).
    #[inline]
    fn probe(&self, document: DocumentId) -> Option<(usize, Slot)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut at = self.ideal(document);
        loop {
            let slot = *self.slots.get(at)?;
            if slot.is_free() || slot.document == document {
                return Some((at, slot));
            }
            at = (at + 1) & mask;
        }
    }

    /// The slot of `document`.
    #[inline]
    fn get(&self, document: DocumentId) -> Option<Slot> {
        self.probe(document)
            .map(|(_, slot)| slot)
            .filter(|slot| !slot.is_free())
    }

    /// Puts `slot` in; whether its document is new.
    fn insert(&mut self, slot: Slot) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let Some((at, found)) = self.probe(slot.document) else {
            return false;
        };
        let new = found.is_free();
        if let Some(place) = self.slots.get_mut(at) {
            *place = slot;
            self.len += usize::from(new);
        }
        new
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, vec![FREE; capacity]);
        self.len = 0;
        for slot in old.into_iter().filter(|s| !s.is_free()) {
            self.insert(slot);
        }
    }

    /// Removes `document`; whether it was there.
    fn remove(&mut self, document: DocumentId) -> bool {
        let Some((mut hole, slot)) = self.probe(document) else {
            return false;
        };
        if slot.is_free() {
            return false;
        }
        // Backward shift: each following entry that may sit earlier moves into
        // the hole, until a free slot ends the run.
        let mask = self.mask();
        let mut at = (hole + 1) & mask;
        while let Some(next) = self.slots.get(at).copied().filter(|s| !s.is_free()) {
            let ideal = self.ideal(next.document);
            // `next` may move to the hole if the hole lies on its probe path,
            // from its ideal slot up to where it sits.
            if at.wrapping_sub(ideal) & mask >= at.wrapping_sub(hole) & mask {
                if let Some(place) = self.slots.get_mut(hole) {
                    *place = next;
                }
                hole = at;
            }
            at = (at + 1) & mask;
        }
        if let Some(place) = self.slots.get_mut(hole) {
            *place = FREE;
        }
        self.len -= 1;
        true
    }

    fn iter(&self) -> impl Iterator<Item = &Slot> + '_ {
        self.slots.iter().filter(|s| !s.is_free())
    }
}

impl Default for DocumentHomes {
    fn default() -> Self {
        let empty = Arc::new(HomeShard::default());
        Self {
            shards: Arc::new((0..SHARDS).map(|_| Arc::clone(&empty)).collect()),
            environments: Arc::default(),
            numbers: CowMap::default(),
            len: 0,
        }
    }
}

fn shard_index(document: DocumentId) -> usize {
    document.shard_byte() as usize % SHARDS
}

impl DocumentHomes {
    /// The number of documents.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no document has a home.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The home of `document`.
    #[inline]
    pub fn get(&self, document: DocumentId) -> Option<Home> {
        self.lookup(document).map(|(home, _)| home)
    }

    /// The home of `document`, and whether it may have shares.
    #[inline]
    pub fn lookup(&self, document: DocumentId) -> Option<(Home, bool)> {
        let slot = self.shards.get(shard_index(document))?.get(document)?;
        Some((self.home(&slot)?, slot.shared()))
    }

    fn home(&self, slot: &Slot) -> Option<Home> {
        let environment = self.environments.get(slot.environment())?;
        Some((slot.organisation, *environment))
    }

    /// Records where `document` lives and whether it has shares (a document
    /// never moves: the same home again changes only the latter).
    pub fn insert(
        &mut self,
        document: DocumentId,
        (organisation, environment): Home,
        shared: bool,
    ) {
        let Some(number) = self.number(environment) else {
            return;
        };
        let slot = Slot {
            document,
            organisation,
            tag: if shared { number | SHARED } else { number },
        };
        let shards = Arc::make_mut(&mut self.shards);
        if let Some(shard) = shards.get_mut(shard_index(document)) {
            if Arc::make_mut(shard).insert(slot) {
                self.len += 1;
            }
        }
    }

    /// Records whether `document` has shares (nothing if it has no home). The
    /// world marks a document when it gets a share and leaves the mark when
    /// the last share goes (see [`DocumentHomes::covers`]).
    pub fn set_shared(&mut self, document: DocumentId, shared: bool) {
        if let Some((home, was)) = self.lookup(document) {
            if was != shared {
                self.insert(document, home, shared);
            }
        }
    }

    /// Forgets `document`.
    pub fn remove(&mut self, document: DocumentId) {
        let index = shard_index(document);
        let present = self
            .shards
            .get(index)
            .is_some_and(|s| s.get(document).is_some());
        if !present {
            // Removing what is not there copies nothing.
            return;
        }
        let shards = Arc::make_mut(&mut self.shards);
        if let Some(shard) = shards.get_mut(index) {
            if Arc::make_mut(shard).remove(document) {
                self.len -= 1;
            }
        }
    }

    /// The number of `environment`, given on first use. `None` only past
    /// 2³¹ − 1 environments.
    fn number(&mut self, environment: EnvironmentId) -> Option<u32> {
        if let Some(number) = self.numbers.get(&environment) {
            return Some(*number);
        }
        let number = u32::try_from(self.environments.len())
            .ok()
            .filter(|n| *n < SHARED - 1)?;
        Arc::make_mut(&mut self.environments).push(environment);
        self.numbers.insert(environment, number);
        Some(number)
    }

    /// Every document with its home and whether it may have shares, in no
    /// particular order.
    pub fn iter(&self) -> impl Iterator<Item = (DocumentId, (Home, bool))> + '_ {
        self.shards.iter().flat_map(move |shard| {
            shard
                .iter()
                .filter_map(move |slot| Some((slot.document, (self.home(slot)?, slot.shared()))))
        })
    }

    /// Whether this index agrees with `exact`, one rebuilt from the tables:
    /// the same documents in the same homes, and every document `exact` marks
    /// as shared marked here too. This one may mark more: a mark means "may
    /// have shares" (a check then reads the share table, and finds what is
    /// there), and the world does not clear it when a share is removed.
    pub fn covers(&self, exact: &DocumentHomes) -> bool {
        self.len == exact.len
            && exact.iter().all(|(document, (home, shared))| {
                self.lookup(document)
                    .is_some_and(|(here, marked)| here == home && (marked || !shared))
            })
    }
}

/// Equal when they hold the same documents in the same homes, with shares or
/// not alike, whatever the numbers and slots they got in the order things
/// happened.
impl PartialEq for DocumentHomes {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .all(|(document, found)| other.lookup(document) == Some(found))
    }
}

impl std::fmt::Debug for DocumentHomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocumentHomes(len = {})", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn home(n: u8) -> Home {
        (
            OrganisationId::from_u128(u128::from(n) + 1),
            EnvironmentId::from_u128(u128::from(n % 3) + 1),
        )
    }

    #[test]
    fn a_document_is_found_in_its_home_until_it_is_removed() {
        let mut homes = DocumentHomes::default();
        let document = DocumentId::from_u128(7);
        assert_eq!(homes.get(document), None);
        homes.insert(document, home(1), false);
        assert_eq!(homes.get(document), Some(home(1)));
        assert_eq!(homes.len(), 1);
        homes.insert(document, home(1), false);
        assert_eq!(homes.len(), 1);
        homes.remove(document);
        assert_eq!(homes.get(document), None);
        assert!(homes.is_empty());
    }

    #[test]
    fn the_nil_id_is_a_document_like_any_other() {
        let mut homes = DocumentHomes::default();
        let nil = DocumentId::from_u128(0);
        assert_eq!(homes.get(nil), None);
        homes.insert(nil, home(2), false);
        assert_eq!(homes.get(nil), Some(home(2)));
        homes.remove(nil);
        assert_eq!(homes.get(nil), None);
    }

    #[test]
    fn a_copy_is_not_changed_by_writes_to_the_original() {
        let mut homes = DocumentHomes::default();
        let (a, b) = (DocumentId::from_u128(1), DocumentId::from_u128(2));
        homes.insert(a, home(1), false);
        let copy = homes.clone();
        homes.insert(b, home(2), false);
        homes.remove(a);
        assert_eq!(copy.get(a), Some(home(1)));
        assert_eq!(copy.get(b), None);
        assert_eq!(homes.get(b), Some(home(2)));
        assert_ne!(copy, homes);
    }

    #[test]
    fn whether_a_document_has_shares_is_kept_with_its_home() {
        let mut homes = DocumentHomes::default();
        let document = DocumentId::from_u128(9);
        homes.insert(document, home(1), false);
        assert_eq!(homes.lookup(document), Some((home(1), false)));
        let before = homes.clone();
        homes.set_shared(document, true);
        assert_eq!(homes.lookup(document), Some((home(1), true)));
        assert_eq!(before.lookup(document), Some((home(1), false)));
        assert_ne!(before, homes);
        homes.set_shared(document, false);
        assert_eq!(homes.lookup(document), Some((home(1), false)));
        assert_eq!(homes.len(), 1);
        // A document without a home gets none from a share.
        homes.set_shared(DocumentId::from_u128(10), true);
        assert_eq!(homes.lookup(DocumentId::from_u128(10)), None);
    }

    #[test]
    fn an_index_covers_an_exact_one_if_it_marks_at_least_as_many_documents_shared() {
        let (a, b) = (DocumentId::from_u128(1), DocumentId::from_u128(2));
        let mut exact = DocumentHomes::default();
        exact.insert(a, home(1), true);
        exact.insert(b, home(2), false);
        let mut marked_more = exact.clone();
        marked_more.set_shared(b, true);
        assert!(marked_more.covers(&exact));
        assert!(exact.covers(&exact));
        // Marking fewer, another home, or other documents does not cover.
        assert!(!exact.covers(&marked_more));
        let mut moved = exact.clone();
        moved.remove(b);
        moved.insert(b, home(4), false);
        assert!(!moved.covers(&exact));
        let mut fewer = exact.clone();
        fewer.remove(b);
        assert!(!fewer.covers(&exact));
        assert!(!exact.covers(&fewer));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u8),
        Remove(u16),
        Shared(u16, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct ids, many of them in one shard's few slots: collisions,
        // runs that wrap around and shifts on removal all happen.
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
            let mut model: BTreeMap<u16, (Home, bool)> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(d, h) => {
                        // A document never moves: the model keeps its first home.
                        let (h, shared) = *model.entry(d).or_insert((home(h), false));
                        homes.insert(id(d), h, shared);
                    }
                    Op::Remove(d) => {
                        model.remove(&d);
                        homes.remove(id(d));
                    }
                    Op::Shared(d, shared) => {
                        if let Some(entry) = model.get_mut(&d) {
                            entry.1 = shared;
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
