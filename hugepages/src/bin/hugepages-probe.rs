//! Says whether this process's heap is on transparent huge pages, after
//! [`preflight_hugepages::ensure`]: `cargo run -p preflight-hugepages`.
//! Prints the state's name, the attempt it took, and the sentence.

fn main() {
    let state = preflight_hugepages::ensure();
    // Grow the heap past a huge page, as a world would.
    let held: Vec<Vec<u8>> = (0..64).map(|i| vec![i; 64 * 1024]).collect();
    let attempt = std::env::var(preflight_hugepages::ATTEMPT_VAR).unwrap_or_else(|_| "0".into());
    println!("{state:?} {attempt} {state} ({} KiB held)", held.len() * 64);
}
