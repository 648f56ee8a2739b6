//! A hash map that clones in constant time and copies only what a change touches.
//!
//! A preview runs a command against a copy of the world: a million documents must
//! not be copied to find out what sharing one of them would do. The map is cut
//! into [`SHARDS`] shards behind `Arc`s; cloning the map clones one `Arc`, and a
//! write copies the shard table (a few hundred pointers) and the one shard it
//! touches, only when they are shared. The live world on the server is never
//! shared, so there writes happen in place.
//!
//! Persistent maps (HAMTs) give the same sharing, but every lookup then walks
//! several nodes; a check does half a dozen lookups and has half a microsecond,
//! so lookups here stay a single flat hash-table probe.

use crate::model::ids::ShardKey;
use rustc_hash::FxHashMap;
use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

/// The number of shards of every map.
pub const SHARDS: usize = 256;

/// The number of parts each shard of a [`SplitCowMap`] is cut into.
pub const PARTS: usize = 16;

type Shard<K, V> = FxHashMap<K, V>;

/// The parts of one shard of a [`Split`] map.
type Parts<K, V> = Arc<[Arc<Shard<K, V>>]>;

/// How a map's shards are laid out: what a lookup walks and what a write copies.
pub trait Layout<K, V>: Clone + Default {
    /// The shard that holds, or would hold, `key`.
    fn shard(&self, key: &K) -> Option<&Shard<K, V>>;
    /// The same, writable: copies what is shared on the way to it.
    fn shard_mut(&mut self, key: &K) -> Option<&mut Shard<K, V>>;
    /// Every shard, in a fixed order.
    fn shards<'a>(&'a self) -> impl Iterator<Item = &'a Shard<K, V>> + 'a
    where
        K: 'a,
        V: 'a;
}

/// [`SHARDS`] shards in one table: a lookup reads the table and the shard, a
/// write copies the table (a few hundred pointers) and one shard.
pub struct Flat<K, V> {
    // INVARIANT: `shards.len() == SHARDS`, and every key sits in shard
    // `shard_index(key)`.
    shards: Arc<[Arc<Shard<K, V>>]>,
}

/// Each of [`SHARDS`] shards cut into [`PARTS`] parts: a lookup reads one pointer
/// more, a write copies a sixteenth of what [`Flat`] copies, plus a part table
/// of [`PARTS`] pointers. For a map whose values are large and that a preview
/// writes in many places, the copies are what costs.
pub struct Split<K, V> {
    // INVARIANT: `shards.len() == SHARDS`, every part table holds `PARTS`, and
    // every key sits in part `part_index(key)` of shard `shard_index(key)`.
    shards: Arc<[Parts<K, V>]>,
}

// Written out rather than derived: a derive would ask `K` and `V` to be `Clone`
// and `Default`, which cloning a pointer does not need.
impl<K, V> Clone for Flat<K, V> {
    fn clone(&self) -> Self {
        Self {
            shards: Arc::clone(&self.shards),
        }
    }
}

impl<K, V> Clone for Split<K, V> {
    fn clone(&self) -> Self {
        Self {
            shards: Arc::clone(&self.shards),
        }
    }
}

impl<K, V> Default for Flat<K, V> {
    fn default() -> Self {
        let empty: Arc<Shard<K, V>> = Arc::new(FxHashMap::default());
        Self {
            shards: (0..SHARDS).map(|_| Arc::clone(&empty)).collect(),
        }
    }
}

impl<K, V> Default for Split<K, V> {
    fn default() -> Self {
        let empty: Arc<Shard<K, V>> = Arc::new(FxHashMap::default());
        let parts: Parts<K, V> = (0..PARTS).map(|_| Arc::clone(&empty)).collect();
        Self {
            shards: (0..SHARDS).map(|_| Arc::clone(&parts)).collect(),
        }
    }
}

fn shard_index<K: ShardKey>(key: &K) -> usize {
    usize::from(key.shard_hash() >> 8) % SHARDS
}

fn part_index<K: ShardKey>(key: &K) -> usize {
    usize::from(key.shard_hash()) % PARTS
}

impl<K: ShardKey + Hash + Eq + Clone, V: Clone> Layout<K, V> for Flat<K, V> {
    #[inline]
    fn shard(&self, key: &K) -> Option<&Shard<K, V>> {
        self.shards.get(shard_index(key)).map(|shard| &**shard)
    }

    fn shard_mut(&mut self, key: &K) -> Option<&mut Shard<K, V>> {
        let shards = Arc::make_mut(&mut self.shards);
        shards.get_mut(shard_index(key)).map(Arc::make_mut)
    }

    fn shards<'a>(&'a self) -> impl Iterator<Item = &'a Shard<K, V>> + 'a
    where
        K: 'a,
        V: 'a,
    {
        self.shards.iter().map(|shard| &**shard)
    }
}

impl<K: ShardKey + Hash + Eq + Clone, V: Clone> Layout<K, V> for Split<K, V> {
    #[inline]
    fn shard(&self, key: &K) -> Option<&Shard<K, V>> {
        let parts = self.shards.get(shard_index(key))?;
        parts.get(part_index(key)).map(|part| &**part)
    }

    fn shard_mut(&mut self, key: &K) -> Option<&mut Shard<K, V>> {
        let shards = Arc::make_mut(&mut self.shards);
        let parts = Arc::make_mut(shards.get_mut(shard_index(key))?);
        parts.get_mut(part_index(key)).map(Arc::make_mut)
    }

    fn shards<'a>(&'a self) -> impl Iterator<Item = &'a Shard<K, V>> + 'a
    where
        K: 'a,
        V: 'a,
    {
        self.shards
            .iter()
            .flat_map(|parts| parts.iter().map(|part| &**part))
    }
}

/// See the module documentation.
pub struct CowMap<K, V, L = Flat<K, V>> {
    shards: L,
    len: usize,
    entries: PhantomData<(K, V)>,
}

/// A [`CowMap`] laid out [`Split`].
pub type SplitCowMap<K, V> = CowMap<K, V, Split<K, V>>;

impl<K, V, L: Clone> Clone for CowMap<K, V, L> {
    fn clone(&self) -> Self {
        Self {
            shards: self.shards.clone(),
            len: self.len,
            entries: PhantomData,
        }
    }
}

impl<K, V, L: Default> Default for CowMap<K, V, L> {
    fn default() -> Self {
        Self {
            shards: L::default(),
            len: 0,
            entries: PhantomData,
        }
    }
}

impl<K, V, L> std::fmt::Debug for CowMap<K, V, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CowMap(len = {})", self.len)
    }
}

impl<K: ShardKey + Hash + Eq + Clone, V: Clone, L: Layout<K, V>> CowMap<K, V, L> {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.shards.shard(key)?.get(key)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Inserts, returning the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let previous = self.shards.shard_mut(&key)?.insert(key, value);
        if previous.is_none() {
            self.len += 1;
        }
        previous
    }

    /// Removes, returning the value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        // Look first, so that removing an absent key copies nothing.
        if !self.contains_key(key) {
            return None;
        }
        let removed = self.shards.shard_mut(key)?.remove(key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// A mutable reference to the value under `key`, copying its shard if shared.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        if !self.contains_key(key) {
            return None;
        }
        self.shards.shard_mut(key)?.get_mut(key)
    }

    /// The value under `key`, inserting `V::default()` first if absent.
    pub fn entry_or_default(&mut self, key: K) -> Option<&mut V>
    where
        V: Default,
    {
        if !self.contains_key(&key) {
            self.len += 1;
        }
        Some(self.shards.shard_mut(&key)?.entry(key).or_default())
    }

    /// Every entry, in no particular order (deterministic for a given history).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.shards.shards().flat_map(|shard| shard.iter())
    }

    /// Every value.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.shards.shards().flat_map(|shard| shard.values())
    }
}

impl<K, V, L> Serialize for CowMap<K, V, L>
where
    K: ShardKey + Hash + Eq + Clone + Ord + Serialize,
    V: Clone + Serialize,
    L: Layout<K, V>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            // A binary format is for the machine (the server's snapshots): the
            // entries go out in the order they sit in memory. Sorting a million
            // documents by key would read them in random order, a cache miss
            // each, and take seconds of a processor the requests need.
            // With its length told up front: a format that writes the length
            // first would otherwise buffer the whole sequence to count it.
            let mut seq = serializer.serialize_seq(Some(self.len))?;
            for entry in self.iter() {
                seq.serialize_element(&entry)?;
            }
            return seq.end();
        }
        // Sorted, so that equal maps serialise to equal bytes.
        let mut entries: Vec<(&K, &V)> = self.iter().collect();
        crate::util::sort::sort_unstable_by(&mut entries, |a, b| a.0.cmp(b.0));
        serializer.collect_seq(entries)
    }
}

impl<'de, K, V, L> Deserialize<'de> for CowMap<K, V, L>
where
    K: ShardKey + Hash + Eq + Clone + Deserialize<'de>,
    V: Clone + Deserialize<'de>,
    L: Layout<K, V>,
{
    /// Each entry goes into its shard as it is read: no list of every entry in
    /// between (a million documents' worth when a snapshot loads), and less code
    /// per map type in the browser.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V, L>(PhantomData<(K, V, L)>);

        impl<'de, K, V, L> Visitor<'de> for Entries<K, V, L>
        where
            K: ShardKey + Hash + Eq + Clone + Deserialize<'de>,
            V: Clone + Deserialize<'de>,
            L: Layout<K, V>,
        {
            type Value = CowMap<K, V, L>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of [key, value] entries")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
                let mut map = CowMap::default();
                while let Some((key, value)) = entries.next_element::<(K, V)>()? {
                    map.insert(key, value);
                }
                Ok(map)
            }
        }

        deserializer.deserialize_seq(Entries(PhantomData))
    }
}

impl<K, V, L> PartialEq for CowMap<K, V, L>
where
    K: ShardKey + Hash + Eq + Clone,
    V: Clone + PartialEq,
    L: Layout<K, V>,
{
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .all(|(key, value)| other.get(key) == Some(value))
    }
}

/// Inserts `value` into a sorted vector, keeping it sorted and free of duplicates.
pub fn sorted_insert<T: Ord>(list: &mut Vec<T>, value: T) {
    if let Err(position) = list.binary_search(&value) {
        list.insert(position, value);
    }
}

/// Removes `value` from a sorted vector.
pub fn sorted_remove<T: Ord>(list: &mut Vec<T>, value: &T) {
    if let Ok(position) = list.binary_search(value) {
        list.remove(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::DocumentId;
    use proptest::prelude::*;

    fn a_clone_is_unaffected_by_later_writes<L: Layout<DocumentId, u128>>() {
        let mut map: CowMap<DocumentId, u128, L> = CowMap::default();
        for n in 0..1000u128 {
            map.insert(DocumentId::from_u128(n), n);
        }
        let snapshot = map.clone();
        map.insert(DocumentId::from_u128(5), 99);
        map.remove(&DocumentId::from_u128(6));
        if let Some(value) = map.get_mut(&DocumentId::from_u128(7)) {
            *value = 77;
        }
        assert_eq!(snapshot.get(&DocumentId::from_u128(5)), Some(&5));
        assert_eq!(snapshot.get(&DocumentId::from_u128(6)), Some(&6));
        assert_eq!(snapshot.get(&DocumentId::from_u128(7)), Some(&7));
        assert_eq!(map.get(&DocumentId::from_u128(5)), Some(&99));
        assert_eq!(map.get(&DocumentId::from_u128(6)), None);
        assert_eq!(map.get(&DocumentId::from_u128(7)), Some(&77));
        assert_eq!((snapshot.len(), map.len()), (1000, 999));
    }

    #[test]
    fn a_clone_is_unaffected_by_later_writes_to_the_original() {
        a_clone_is_unaffected_by_later_writes::<Flat<_, _>>();
        a_clone_is_unaffected_by_later_writes::<Split<_, _>>();
    }

    proptest! {
        /// Both layouts hold exactly what an ordinary map holds, through any
        /// sequence of writes, and a clone taken halfway keeps what it had.
        #[test]
        fn both_layouts_behave_as_a_map(
            writes in proptest::collection::vec((0u8..3, 0u128..64, any::<u32>()), 0..200),
            halfway in 0usize..200,
        ) {
            let mut model = std::collections::BTreeMap::new();
            let mut flat: CowMap<DocumentId, u32> = CowMap::default();
            let mut split: SplitCowMap<DocumentId, u32> = CowMap::default();
            let mut snapshot = None;
            for (i, (op, key, value)) in writes.iter().enumerate() {
                if i == halfway {
                    snapshot = Some((model.clone(), split.clone()));
                }
                let id = DocumentId::from_u128(*key);
                match op {
                    0 => {
                        let before = model.insert(id, *value);
                        prop_assert_eq!(split.insert(id, *value), before);
                        prop_assert_eq!(flat.insert(id, *value), before);
                    }
                    1 => {
                        let before = model.remove(&id);
                        prop_assert_eq!(split.remove(&id), before);
                        prop_assert_eq!(flat.remove(&id), before);
                    }
                    _ => {
                        if let Some(v) = split.get_mut(&id) {
                            *v = v.wrapping_add(1);
                        }
                        if let Some(v) = flat.get_mut(&id) {
                            *v = v.wrapping_add(1);
                        }
                        if let Some(v) = model.get_mut(&id) {
                            *v = v.wrapping_add(1);
                        }
                    }
                }
            }
            let sorted = |entries: Vec<(DocumentId, u32)>| {
                let mut entries = entries;
                entries.sort();
                entries
            };
            let expected: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(sorted(flat.iter().map(|(k, v)| (*k, *v)).collect()), expected.clone());
            prop_assert_eq!(sorted(split.iter().map(|(k, v)| (*k, *v)).collect()), expected);
            prop_assert_eq!((flat.len(), split.len()), (model.len(), model.len()));
            if let Some((then, copy)) = snapshot {
                prop_assert_eq!(copy.len(), then.len());
                for (k, v) in &then {
                    prop_assert_eq!(copy.get(k), Some(v));
                }
            }
        }
    }

    #[test]
    fn serialisation_is_sorted_and_round_trips() {
        let mut map = CowMap::default();
        for n in [3u128, 1, 2] {
            map.insert(DocumentId::from_u128(n), n as u32);
        }
        let json = serde_json::to_string(&map).unwrap_or_default();
        let back: CowMap<DocumentId, u32> = serde_json::from_str(&json).unwrap_or_default();
        assert!(back == map);
        assert!(json.find("0001").unwrap_or(0) < json.find("0002").unwrap_or(0));
    }
}
