//! The chat state's maps and sets, keyed by id: sorted vectors (`litemap`).
//! A tab holds at most a few thousand entries in each, where a binary search
//! is as quick as hashing, and every map type a hash map would bring costs the
//! browser bundle its own copy of the hash table's code (growing, probing,
//! rehashing); a sorted vector's is a fraction of that.

/// A map by id.
pub type IdMap<K, V> = litemap::LiteMap<K, V>;

/// A set of ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSet<K>(IdMap<K, ()>);

impl<K> Default for IdSet<K> {
    fn default() -> Self {
        Self(IdMap::default())
    }
}

impl<K: Ord> IdSet<K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, id: &K) -> bool {
        self.0.contains_key(id)
    }

    pub fn insert(&mut self, id: K) {
        self.0.insert(id, ());
    }

    pub fn remove(&mut self, id: &K) {
        self.0.remove(id);
    }

    pub fn iter(&self) -> impl Iterator<Item = &K> {
        self.0.keys()
    }
}

impl<K: Ord> Extend<K> for IdSet<K> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, ids: I) {
        self.0.extend(ids.into_iter().map(|id| (id, ())));
    }
}

impl<K: Ord> FromIterator<K> for IdSet<K> {
    fn from_iter<I: IntoIterator<Item = K>>(ids: I) -> Self {
        Self(ids.into_iter().map(|id| (id, ())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_each_id_once_in_order() {
        let mut set: IdSet<i32> = [5, 1, 5, 3].into_iter().collect();
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [1, 3, 5]);
        set.extend([2, 3]);
        set.insert(9);
        set.remove(&1);
        set.remove(&42);
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [2, 3, 5, 9]);
        assert!(set.contains(&9) && !set.contains(&1));
    }

    #[test]
    fn a_map_keeps_the_last_value_for_a_key() {
        let mut map: IdMap<i32, &str> = [(2, "b"), (1, "a"), (2, "B")].into_iter().collect();
        map.extend([(1, "A"), (3, "c")]);
        assert_eq!(map.get(&1), Some(&"A"));
        assert_eq!(map.get(&2), Some(&"B"));
        *map.entry(4).or_default() = "d";
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [1, 2, 3, 4]);
    }
}
