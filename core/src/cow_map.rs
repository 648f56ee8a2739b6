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

use crate::ids::ShardKey;
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

type Shard<K, V> = FxHashMap<K, V>;

/// See the module documentation.
#[derive(Clone)]
pub struct CowMap<K, V> {
    // INVARIANT: `shards.len() == SHARDS`, and every key sits in shard
    // `key.shard_byte() as usize % SHARDS`.
    shards: Arc<Vec<Arc<Shard<K, V>>>>,
    len: usize,
}

impl<K, V> Default for CowMap<K, V> {
    fn default() -> Self {
        let empty: Arc<Shard<K, V>> = Arc::new(FxHashMap::default());
        Self {
            shards: Arc::new((0..SHARDS).map(|_| Arc::clone(&empty)).collect()),
            len: 0,
        }
    }
}

impl<K, V> std::fmt::Debug for CowMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CowMap(len = {})", self.len)
    }
}

fn shard_index<K: ShardKey>(key: &K) -> usize {
    key.shard_byte() as usize % SHARDS
}

impl<K: ShardKey + Hash + Eq + Clone, V: Clone> CowMap<K, V> {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.shards.get(shard_index(key))?.get(key)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    fn shard_mut(&mut self, key: &K) -> Option<&mut Shard<K, V>> {
        let shards = Arc::make_mut(&mut self.shards);
        shards.get_mut(shard_index(key)).map(Arc::make_mut)
    }

    /// Inserts, returning the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let previous = self.shard_mut(&key)?.insert(key, value);
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
        let removed = self.shard_mut(key)?.remove(key);
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
        self.shard_mut(key)?.get_mut(key)
    }

    /// The value under `key`, inserting `V::default()` first if absent.
    pub fn entry_or_default(&mut self, key: K) -> Option<&mut V>
    where
        V: Default,
    {
        if !self.contains_key(&key) {
            self.len += 1;
        }
        Some(self.shard_mut(&key)?.entry(key).or_default())
    }

    /// Every entry, in no particular order (deterministic for a given history).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.shards.iter().flat_map(|shard| shard.iter())
    }

    /// Every value.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.shards.iter().flat_map(|shard| shard.values())
    }

    /// Every key.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.shards.iter().flat_map(|shard| shard.keys())
    }
}

impl<K, V> Serialize for CowMap<K, V>
where
    K: ShardKey + Hash + Eq + Clone + Ord + Serialize,
    V: Clone + Serialize,
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
        crate::sort::sort_unstable_by(&mut entries, |a, b| a.0.cmp(b.0));
        serializer.collect_seq(entries)
    }
}

impl<'de, K, V> Deserialize<'de> for CowMap<K, V>
where
    K: ShardKey + Hash + Eq + Clone + Deserialize<'de>,
    V: Clone + Deserialize<'de>,
{
    /// Each entry goes into its shard as it is read: no list of every entry in
    /// between (a million documents' worth when a snapshot loads), and less code
    /// per map type in the browser.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);

        impl<'de, K, V> Visitor<'de> for Entries<K, V>
        where
            K: ShardKey + Hash + Eq + Clone + Deserialize<'de>,
            V: Clone + Deserialize<'de>,
        {
            type Value = CowMap<K, V>;

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

impl<K, V> PartialEq for CowMap<K, V>
where
    K: ShardKey + Hash + Eq + Clone,
    V: Clone + PartialEq,
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
    use crate::ids::DocumentId;

    #[test]
    fn a_clone_is_unaffected_by_later_writes_to_the_original() {
        let mut map = CowMap::default();
        for n in 0..1000u128 {
            map.insert(DocumentId::from_u128(n), n);
        }
        let snapshot = map.clone();
        map.insert(DocumentId::from_u128(5), 99);
        map.remove(&DocumentId::from_u128(6));
        assert_eq!(snapshot.get(&DocumentId::from_u128(5)), Some(&5));
        assert_eq!(snapshot.get(&DocumentId::from_u128(6)), Some(&6));
        assert_eq!(map.get(&DocumentId::from_u128(5)), Some(&99));
        assert_eq!(map.get(&DocumentId::from_u128(6)), None);
        assert_eq!((snapshot.len(), map.len()), (1000, 999));
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
