//! Sorting, small in the browser.
//!
//! The standard library's unstable sort is about 3 KB of wasm for every element
//! type and comparison it is used with, and the core and the app sort some twenty
//! kinds of lists.
//! In the browser these lists are short (one viewer's projection), so there a plain
//! heapsort does: a few hundred bytes, O(n log n) at worst, no allocation.
//! Natively, where the server sorts large lists, they are the standard library's.

use std::cmp::Ordering;

/// Sorts `list` by `compare`; equal elements may be reordered.
#[inline]
pub fn sort_unstable_by<T>(list: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if cfg!(target_arch = "wasm32") {
        heapsort(list, &mut |a, b| compare(a, b) == Ordering::Less);
    } else {
        list.sort_unstable_by(compare);
    }
}

/// Sorts `list` by the key `key` gives each element.
#[inline]
pub fn sort_unstable_by_key<T, K: Ord>(list: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_unstable_by(list, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `list`.
#[inline]
pub fn sort_unstable<T: Ord>(list: &mut [T]) {
    sort_unstable_by(list, T::cmp);
}

/// Sorts `list` and removes repeated elements.
#[inline]
pub fn sort_dedup<T: Ord>(list: &mut Vec<T>) {
    sort_unstable(list);
    list.dedup();
}

/// Heapsort: a max-heap built in place, then its largest element swapped to the
/// end, one at a time.
fn heapsort<T>(list: &mut [T], is_less: &mut dyn FnMut(&T, &T) -> bool) {
    /// Moves `node` down until neither child is greater.
    fn sift_down<T>(heap: &mut [T], mut node: usize, is_less: &mut dyn FnMut(&T, &T) -> bool) {
        loop {
            let left = 2 * node + 1;
            let child = match (heap.get(left), heap.get(left + 1)) {
                (None, _) => return,
                (Some(l), Some(r)) if is_less(l, r) => left + 1,
                _ => left,
            };
            match (heap.get(node), heap.get(child)) {
                (Some(parent), Some(greater)) if is_less(parent, greater) => {}
                _ => return,
            }
            heap.swap(node, child);
            node = child;
        }
    }
    for node in (0..list.len() / 2).rev() {
        sift_down(list, node, is_less);
    }
    for end in (1..list.len()).rev() {
        list.swap(0, end);
        if let Some(heap) = list.get_mut(..end) {
            sift_down(heap, 0, is_less);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The browser's sort orders exactly as the standard library's.
        #[test]
        fn the_browsers_heapsort_sorts_like_the_standard_library(
            mut list in proptest::collection::vec((0u8..20, any::<u16>()), 0..300),
        ) {
            let mut expected = list.clone();
            expected.sort_unstable();
            heapsort(&mut list, &mut |a, b| a < b);
            prop_assert_eq!(list, expected);
        }

        #[test]
        fn sort_dedup_leaves_each_element_once_in_order(
            mut list in proptest::collection::vec(0u8..30, 0..200),
        ) {
            let mut expected = list.clone();
            expected.sort_unstable();
            expected.dedup();
            sort_dedup(&mut list);
            prop_assert_eq!(list, expected);
        }
    }

    #[test]
    fn sorting_by_key_or_by_comparison_orders_by_that_only() {
        let mut people = vec![("Ivo", 3), ("Alice", 1), ("Bob", 2)];
        sort_unstable_by_key(&mut people, |p| p.1);
        assert_eq!(people, [("Alice", 1), ("Bob", 2), ("Ivo", 3)]);
        sort_unstable_by(&mut people, |a, b| b.0.cmp(a.0));
        assert_eq!(people, [("Ivo", 3), ("Bob", 2), ("Alice", 1)]);
    }
}
