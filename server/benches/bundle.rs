//! Export and import throughput of option 2's bundle (split issue §5): 10,000
//! invoices. Run with `cargo bench -p preflight-server --bench bundle`.
//!
//! Measured on the server's own code, on the disk of the data directory:
//! - export: building the deterministic, signed tar archive from the documents'
//!   stored bytes (what `POST /api/organisations/{id}/export` streams);
//! - verify: reading an uploaded archive whole and checking the signature and
//!   every document's SHA-256 (before anything is stored);
//! - import: verify, then store every document's bytes (each file synced), into
//!   an empty blob directory, as `POST …/import` does before recording.

use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use preflight_core::bundle::{BundleDocument, Manifest, FORMAT};
use preflight_core::generate::{invoice_xml, InvoiceParty, InvoiceSpec};
use preflight_core::*;
use preflight_server::blobs::Blobs;
use preflight_server::bundle::{self, Signer};

const N_INVOICES: usize = 10_000;

struct Fixture {
    _dir: tempfile::TempDir,
    signer: Signer,
    blobs: Blobs,
    manifest: Manifest,
    archive: std::path::PathBuf,
    bytes: u64,
}

fn build() -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir");
    let signer = Signer::load_or_create(dir.path()).expect("a key");
    let blobs = Blobs::new(dir.path().join("blobs"));
    let supplier = InvoiceParty {
        name: "Globex Labs BV",
        endpoint: "0208:0100900289",
        city: "Gent",
    };
    let customer = InvoiceParty {
        name: "Bakery BV",
        endpoint: "0208:0200000028",
        city: "Leuven",
    };
    let mut documents = Vec::with_capacity(N_INVOICES);
    let mut bytes = 0;
    for n in 0..N_INVOICES {
        let number = format!("LABS-{n:06}");
        let xml = invoice_xml(&InvoiceSpec {
            number: &number,
            issue_date: "2026-11-01",
            due_date: "2026-12-01",
            supplier,
            customer,
            lines: vec![
                ("Consulting hours", 1 + (n % 7) as u32, 9_500),
                ("Delivery", 1, 1_250 + n as i64),
            ],
        });
        let sha256 = blobs.put(xml.as_bytes()).expect("stored");
        bytes += xml.len() as u64;
        documents.push(BundleDocument {
            id: DocumentId::from_u128(n as u128 + 1),
            doc_box: DocBox::InboxOut,
            name: format!("{number}.xml"),
            sha256,
            size: xml.len() as u64,
            at: Timestamp(1_795_000_000_000),
            summary: None,
        });
    }
    let mut manifest = Manifest {
        format: FORMAT.into(),
        organisation: OrganisationId::from_u128(7),
        environment: EnvironmentId::from_u128(8),
        name: "Globex Labs BV".into(),
        participant_id: "0208:0100900289".into(),
        documents,
        digest: Sha256::default(),
    };
    manifest.digest = manifest.compute_digest();
    let archive = dir.path().join("bundle.tar");
    let written = bundle::write_all(&manifest, &signer, &blobs).expect("an archive");
    std::fs::write(&archive, written).expect("written");
    Fixture {
        _dir: dir,
        signer,
        blobs,
        manifest,
        archive,
        bytes,
    }
}

fn bench(c: &mut Criterion) {
    let f = build();
    let mut group = c.benchmark_group("bundle");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(N_INVOICES as u64));
    group.bench_function(BenchmarkId::new("export", N_INVOICES), |b| {
        b.iter(|| bundle::write_all(&f.manifest, &f.signer, &f.blobs).expect("an archive"))
    });
    group.bench_function(BenchmarkId::new("verify", N_INVOICES), |b| {
        b.iter(|| bundle::verify(&f.archive, &f.signer).expect("a valid bundle"))
    });
    group.bench_function(BenchmarkId::new("import", N_INVOICES), |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("a temp dir"),
            |target| {
                let blobs = Blobs::new(target.path().join("blobs"));
                let manifest = bundle::verify(&f.archive, &f.signer).expect("a valid bundle");
                bundle::store_documents(&f.archive, &manifest, &blobs).expect("stored");
                target
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
    println!(
        "bundle: {N_INVOICES} invoices, {:.1} MB of UBL",
        f.bytes as f64 / 1e6
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
