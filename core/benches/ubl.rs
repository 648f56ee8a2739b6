//! Reading UBL 2.1 / Peppol BIS Billing 3.0 documents (the real-invoices issue).
//!
//! Timed: `peppol::read_document` over every example of the specification's
//! authors in `core/tests/fixtures/peppol/` (parse, extract, recompute totals
//! with exact decimals, compare them with the document's own), one benchmark
//! for the whole set and one per file. Throughput is reported in bytes; the
//! documents per second are the set's size over the time per set (see
//! BENCHMARKS.md). Also timed: a generated demo invoice, the common case of a
//! small invoice with one to three lines.
//!
//! `cargo bench -p preflight-core --bench ubl`

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use preflight_core::generate::{invoice_xml, InvoiceParty, InvoiceSpec};
use preflight_core::peppol::read_document;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peppol");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the fixtures")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            (name, std::fs::read(&path).expect("a fixture"))
        })
        .collect();
    files.sort();
    files
}

fn reading(c: &mut Criterion) {
    let files = fixtures();
    // Every fixture must read; a failure here is a broken bench, not a slow one.
    for (name, bytes) in &files {
        read_document(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    println!(
        "fixtures: {} documents, {} bytes in all",
        files.len(),
        total
    );

    let mut group = c.benchmark_group("ubl");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("read every fixture", |b| {
        b.iter(|| {
            for (_, bytes) in &files {
                black_box(read_document(black_box(bytes)).ok());
            }
        })
    });
    for (name, bytes) in &files {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("read {name}"), |b| {
            b.iter(|| black_box(read_document(black_box(bytes)).ok()))
        });
    }
    let demo = invoice_xml(&InvoiceSpec {
        number: "INV-00042",
        issue_date: "2026-09-01",
        due_date: "2026-10-01",
        supplier: InvoiceParty {
            name: "Bakery BV",
            endpoint: "0208:0100100040",
            city: "Utrecht",
        },
        customer: InvoiceParty {
            name: "Bright Bakery Supplies",
            endpoint: "0088:8700000000000",
            city: "Amsterdam",
        },
        lines: vec![("Bookkeeping, monthly", 2, 18_500), ("Delivery", 1, 1_250)],
    });
    group.throughput(Throughput::Bytes(demo.len() as u64));
    group.bench_function("read a generated two-line invoice", |b| {
        b.iter(|| black_box(read_document(black_box(demo.as_bytes())).ok()))
    });
    group.finish();
}

criterion_group!(benches, reading);
criterion_main!(benches);
