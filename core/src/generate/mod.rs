//! Seeded worlds, shared by tests, benchmarks and the demo.
//!
//! [`demo`] plays the stories of DOMAIN §9 through real commands, so the demo
//! world is one the rules allow. [`synthetic`] streams the events of a large world
//! directly (deciding a million uploads one by one would measure the generator,
//! not the engine); its shape follows the benchmark of the core issue.

mod demo;
mod invoice;
mod queries;
mod random;
mod synthetic;

pub use demo::{demo, demo_logins, Demo, DemoLogin, Step, DEMO_PASSWORD, SUPPORT_EMAIL};
pub use invoice::{invoice_xml, InvoiceParty, InvoiceSpec};
pub use queries::{mix, near_misses, queries, Query, QueryMix};
pub use random::{random_command, random_world};
pub use synthetic::{synthetic, Synthetic, SyntheticConfig, SyntheticPartnership};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// A fresh id from the generator's random stream.
pub(crate) fn next_uuid(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

const FIRST: [&str; 24] = [
    "Bright", "Nordic", "Golden", "Silver", "Green", "Blue", "Royal", "Urban", "Coastal", "Alpine",
    "Sunny", "Swift", "Noble", "Happy", "Quiet", "Bold", "Prime", "Clever", "Honest", "Rapid",
    "Solid", "Fresh", "Modern", "Classic",
];
const SECOND: [&str; 24] = [
    "Bakery",
    "Bikes",
    "Builders",
    "Coffee",
    "Dental",
    "Florist",
    "Garage",
    "Gardens",
    "Hardware",
    "Kitchens",
    "Logistics",
    "Media",
    "Optics",
    "Pharmacy",
    "Plumbing",
    "Print",
    "Roofing",
    "Salon",
    "Studio",
    "Tailors",
    "Textiles",
    "Travel",
    "Vineyard",
    "Yoga",
];
const PEOPLE: [&str; 32] = [
    "Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Iris", "Jens", "Karin",
    "Lars", "Mila", "Noah", "Olga", "Pieter", "Quinn", "Rosa", "Sven", "Tess", "Umar", "Vera",
    "Wim", "Xena", "Yara", "Zeno", "Lotte", "Milan", "Nina", "Otto", "Pia", "Ruben",
];
const SURNAMES: [&str; 16] = [
    "Jansen", "de Vries", "Peeters", "Maes", "Berg", "Hansen", "Larsen", "Nilsson", "Dubois",
    "Laurent", "Visser", "Smit", "Claes", "Willems", "Meyer", "Schmidt",
];

/// A company name for index `n`, distinct for the first 576.
pub(crate) fn company_name(n: usize) -> String {
    let first = FIRST.get(n % FIRST.len()).copied().unwrap_or("Acme");
    let second = SECOND
        .get((n / FIRST.len() + n) % SECOND.len())
        .copied()
        .unwrap_or("Trading");
    format!("{first} {second}")
}

/// A person's name for index `n`.
pub(crate) fn person_name(n: usize) -> (String, String) {
    let first = PEOPLE.get(n % PEOPLE.len()).copied().unwrap_or("Sam");
    let last = SURNAMES
        .get((n / PEOPLE.len() + n * 7) % SURNAMES.len())
        .copied()
        .unwrap_or("Doe");
    (first.to_string(), last.to_string())
}

/// A valid Belgian enterprise number (0208, mod 97) derived from `n`.
pub fn belgian_enterprise_number(n: u64) -> String {
    // Ten digits: eight starting with 0 or 1, then 97 minus their remainder mod 97.
    let base = 1_000_000 + (n % 18_999_999);
    let check = 97 - (base % 97);
    format!("0208:{base:08}{check:02}")
}
