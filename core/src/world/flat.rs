//! Tables whose one probe has the answer: what a check reads at every step.
//!
//! In a large world every lookup of a check misses the cache. A hash map of
//! [`crate::world::cow_map::CowMap`]'s kind reaches a value through its control bytes:
//! two dependent misses, each with its page walk. A [`FlatTable`] keeps small,
//! fixed-size slots (the key and the answer together) in an open-addressed
//! array with linear probing, so the line that holds the key holds the answer:
//! one miss. Removal shifts the following entries back, so no tombstones
//! lengthen the probes.
//!
//! Like `CowMap`, a table is cut into [`SHARDS`] shards behind `Arc`s, so a
//! preview's copy of the world costs one pointer and a write copies one shard.
//! The tables built on it ([`crate::world::homes`], [`crate::world::cards`]) are indexes:
//! derived from the world's entities, maintained by [`crate::World::apply`],
//! never serialised.

use crate::world::cow_map::SHARDS;
use std::sync::Arc;

/// What a [`FlatTable`] holds: a fixed-size slot that carries its key, or the
/// free slot.
pub(crate) trait FlatSlot: Copy {
    type Key: Copy + Eq;
    /// The free slot. No slot that holds a key is free.
    const FREE: Self;
    fn is_free(&self) -> bool;
    fn key(&self) -> Self::Key;
    /// A hash of `key` with every bit well mixed: the top byte picks the shard,
    /// the low bits the slot.
    fn hash(key: &Self::Key) -> u64;
}

/// Mixes a 128-bit id into 64 well-spread bits: two multiplications and two
/// shifts, so that ids built from small counters in either half do not
/// collide, in the shard byte or in the low bits.
pub(crate) fn mix128(value: u128) -> u64 {
    let (low, high) = (value as u64, (value >> 64) as u64);
    let mut x = low.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ high;
    x ^= x >> 32;
    x = x.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    x ^ (x >> 29)
}

/// See the module documentation.
#[derive(Clone)]
pub(crate) struct FlatTable<S> {
    // INVARIANT: `shards.len() == SHARDS`, and every key sits in shard
    // `shard_of(hash(key))`.
    shards: Arc<[Shard<S>]>,
    len: usize,
}

/// One shard: open addressing with linear probing and backward-shift deletion.
/// The slots sit in the `Arc`'s own allocation, so a probe goes from the
/// table's list of shards straight to the slot: no header in between to wait
/// for.
#[derive(Clone)]
struct Shard<S> {
    // INVARIANT: `slots.len()` is zero or a power of two, more than a quarter
    // of the slots are free (so every probe ends), and each key sits at or
    // after its ideal slot with no free slot in between; `len` of them hold
    // a key.
    slots: Arc<[S]>,
    len: usize,
}

fn shard_of(hash: u64) -> usize {
    (hash >> 56) as usize % SHARDS
}

/// The slot `hash` would ideally sit in, among `capacity` (a power of two).
fn ideal(hash: u64, capacity: usize) -> usize {
    (hash as usize) & capacity.wrapping_sub(1)
}

/// Where `key` sits in `slots`, or where the probe for it ended (a free slot).
#[inline]
fn probe<S: FlatSlot>(slots: &[S], key: S::Key, hash: u64) -> Option<(usize, S)> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let mut at = ideal(hash, slots.len());
    loop {
        let slot = *slots.get(at)?;
        if slot.is_free() || slot.key() == key {
            return Some((at, slot));
        }
        at = (at + 1) & mask;
    }
}

/// Puts `slot` in `slots` (which has a free slot), in place of the one with
/// its key; whether the key is new.
fn put<S: FlatSlot>(slots: &mut [S], slot: S) -> bool {
    let key = slot.key();
    let Some((at, found)) = probe(slots, key, S::hash(&key)) else {
        return false;
    };
    if let Some(place) = slots.get_mut(at) {
        *place = slot;
    }
    found.is_free()
}

/// Removes `key` from `slots`; whether it was there.
fn take<S: FlatSlot>(slots: &mut [S], key: S::Key, hash: u64) -> bool {
    let Some((mut hole, slot)) = probe(slots, key, hash) else {
        return false;
    };
    if slot.is_free() {
        return false;
    }
    // Backward shift: each following entry that may sit earlier moves into
    // the hole, until a free slot ends the run.
    let mask = slots.len() - 1;
    let mut at = (hole + 1) & mask;
    while let Some(next) = slots.get(at).copied().filter(|s| !s.is_free()) {
        let ideal = ideal(S::hash(&next.key()), slots.len());
        // `next` may move to the hole if the hole lies on its probe path,
        // from its ideal slot up to where it sits.
        if at.wrapping_sub(ideal) & mask >= at.wrapping_sub(hole) & mask {
            if let Some(place) = slots.get_mut(hole) {
                *place = next;
            }
            hole = at;
        }
        at = (at + 1) & mask;
    }
    if let Some(place) = slots.get_mut(hole) {
        *place = S::FREE;
    }
    true
}

impl<S: FlatSlot> Shard<S> {
    /// Puts `slot` in, in place of the one with its key; whether the key is
    /// new. Copies the slots if another table shares them.
    fn insert(&mut self, slot: S) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let new = put(Arc::make_mut(&mut self.slots), slot);
        self.len += usize::from(new);
        new
    }

    fn grow(&mut self) {
        // Collected straight into the `Arc`'s allocation (no vector to copy
        // from), then filled while no one else can see it.
        let mut slots: Arc<[S]> =
            std::iter::repeat_n(S::FREE, (self.slots.len() * 2).max(8)).collect();
        if let Some(place) = Arc::get_mut(&mut slots) {
            for slot in self.slots.iter().filter(|s| !s.is_free()) {
                put(place, *slot);
            }
        }
        self.slots = slots;
    }

    fn remove(&mut self, key: S::Key, hash: u64) -> bool {
        let gone = take(Arc::make_mut(&mut self.slots), key, hash);
        self.len -= usize::from(gone);
        gone
    }
}

impl<S: FlatSlot> Default for FlatTable<S> {
    fn default() -> Self {
        let empty: Arc<[S]> = Arc::new([]);
        Self {
            shards: (0..SHARDS)
                .map(|_| Shard {
                    slots: Arc::clone(&empty),
                    len: 0,
                })
                .collect(),
            len: 0,
        }
    }
}

impl<S: FlatSlot> FlatTable<S> {
    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The slot of `key`.
    #[inline]
    pub fn get(&self, key: S::Key) -> Option<S> {
        let hash = S::hash(&key);
        let shard = self.shards.get(shard_of(hash))?;
        probe(&shard.slots, key, hash)
            .map(|(_, slot)| slot)
            .filter(|slot| !slot.is_free())
    }

    /// Puts `slot` in, in place of the one with its key.
    pub fn insert(&mut self, slot: S) {
        let shards = Arc::make_mut(&mut self.shards);
        if let Some(shard) = shards.get_mut(shard_of(S::hash(&slot.key()))) {
            if shard.insert(slot) {
                self.len += 1;
            }
        }
    }

    /// Removes `key`. Removing what is not there copies nothing.
    pub fn remove(&mut self, key: S::Key) {
        if self.get(key).is_none() {
            return;
        }
        let hash = S::hash(&key);
        let shards = Arc::make_mut(&mut self.shards);
        if let Some(shard) = shards.get_mut(shard_of(hash)) {
            if shard.remove(key, hash) {
                self.len -= 1;
            }
        }
    }

    /// Every slot that holds a key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &S> + '_ {
        self.shards
            .iter()
            .flat_map(|shard| shard.slots.iter().filter(|s| !s.is_free()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A slot of a test table: a key and a value, the key 0 marking it free
    /// (keys are 1 and up).
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Pair {
        key: u64,
        value: u8,
    }

    impl FlatSlot for Pair {
        type Key = u64;
        const FREE: Self = Pair { key: 0, value: 0 };
        fn is_free(&self) -> bool {
            self.key == 0
        }
        fn key(&self) -> u64 {
            self.key
        }
        fn hash(key: &u64) -> u64 {
            // Few distinct hashes: long runs, collisions and runs that wrap
            // around the end of a shard happen in every test.
            mix128(u128::from(*key % 97)) & 0xFF00_0000_0000_000F
        }
    }

    #[test]
    fn a_copy_is_not_changed_by_writes_to_the_original() {
        let mut table = FlatTable::<Pair>::default();
        table.insert(Pair { key: 1, value: 1 });
        let copy = table.clone();
        table.insert(Pair { key: 1, value: 2 });
        table.insert(Pair { key: 2, value: 2 });
        assert_eq!(copy.get(1), Some(Pair { key: 1, value: 1 }));
        assert_eq!(copy.get(2), None);
        assert_eq!(table.get(1), Some(Pair { key: 1, value: 2 }));
        assert_eq!((copy.len(), table.len()), (1, 2));
    }

    #[test]
    fn ids_counted_up_in_either_half_spread_over_every_shard() {
        let mut low = std::collections::BTreeSet::new();
        let mut high = std::collections::BTreeSet::new();
        for n in 0..4096u128 {
            low.insert(shard_of(mix128(n)));
            high.insert(shard_of(mix128(n << 64)));
        }
        assert_eq!((low.len(), high.len()), (SHARDS, SHARDS));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u8),
        Remove(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (1u64..400, any::<u8>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => (1u64..400).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #[test]
        fn a_flat_table_answers_as_a_plain_map_does(ops in prop::collection::vec(op(), 1..2000)) {
            let mut table = FlatTable::<Pair>::default();
            let mut model: BTreeMap<u64, u8> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(key, value) => {
                        model.insert(key, value);
                        table.insert(Pair { key, value });
                    }
                    Op::Remove(key) => {
                        model.remove(&key);
                        table.remove(key);
                    }
                }
            }
            prop_assert_eq!(table.len(), model.len());
            for key in 1..400u64 {
                prop_assert_eq!(table.get(key).map(|p| p.value), model.get(&key).copied());
            }
            prop_assert_eq!(table.iter().count(), model.len());
        }
    }
}
