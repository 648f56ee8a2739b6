//! Option 2 of splitting an environment over HTTP (DOMAIN §7, split issue §5):
//! the seed's story end to end, bundles that must be refused, and that nothing
//! of the removed documents can be read back from the data directory.

use std::path::Path;

use preflight_core::{DocBox, World};
use serde_json::{json, Value};

use crate::api::{request, session_token, Api};
use crate::documents::exchange;
use crate::support::{demo_world, org_named};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../core/tests/fixtures/peppol/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("a fixture")
}

/// An invoice whose number and note are `marker`.
fn invoice(marker: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture("base-example.xml")).expect("UTF-8");
    let start = text.find("<cbc:ID>").expect("an ID") + "<cbc:ID>".len();
    let end = start + text[start..].find("</cbc:ID>").expect("its end");
    let mut out = String::new();
    out.push_str(&text[..start]);
    out.push_str(marker);
    out.push_str(&text[end..]);
    out.into_bytes()
}

/// An id from its JSON form.
fn id_of<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_value(Value::String(text.to_string())).expect("an id")
}

fn cookie(token: &str) -> (&'static str, String) {
    ("Cookie", format!("preflight_session={token}"))
}

fn upload(
    api: &Api,
    token: &str,
    organisation: &str,
    doc_box: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    let path = format!("/api/organisations/{organisation}/documents?box={doc_box}&name={name}");
    let (status, _, body) = exchange(
        api.addr(),
        "POST",
        &path,
        &[
            cookie(token),
            ("Content-Type", "application/octet-stream".into()),
        ],
        bytes,
    );
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    assert_eq!(status, 200, "upload of {name}: {body}");
    body["document"].as_str().expect("a document").to_string()
}

/// `POST /api/organisations/{organisation}/export`: status and body.
fn export(api: &Api, token: &str, organisation: &str) -> (u16, Vec<u8>) {
    let path = format!("/api/organisations/{organisation}/export");
    let (status, _, body) = exchange(api.addr(), "POST", &path, &[cookie(token)], &[]);
    (status, body)
}

/// `POST /api/organisations/{organisation}/import`: status and answer.
fn import(api: &Api, token: &str, organisation: &str, bundle: &[u8]) -> (u16, Value) {
    let path = format!("/api/organisations/{organisation}/import");
    let (status, _, body) = exchange(
        api.addr(),
        "POST",
        &path,
        &[cookie(token), ("Content-Type", "application/x-tar".into())],
        bundle,
    );
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn command(api: &Api, token: &str, command: Value) -> (u16, Value) {
    api.call(
        "POST",
        "/api/commands",
        Some(token),
        Some(json!({ "command": command })),
    )
}

/// Asserts that an answer is a refusal with `status`, the stable `code`, and a
/// message that says `says`.
fn assert_refused((status, refused): (u16, Value), expected: u16, code: &str, says: &str) {
    assert_eq!(
        (status, refused["code"].as_str()),
        (expected, Some(code)),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains(says)),
        "{refused}"
    );
}

fn accepted(api: &Api, token: &str, c: Value) -> Value {
    let (status, answer) = command(api, token, c.clone());
    assert_eq!(status, 200, "{c} was refused: {answer}");
    answer
}

/// The manifest at the head of a bundle.
fn manifest_of(bundle: &[u8]) -> Value {
    let mut archive = tar::Archive::new(bundle);
    let mut first = archive
        .entries()
        .expect("a tar archive")
        .next()
        .expect("an entry")
        .expect("readable");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut first, &mut bytes).expect("the manifest");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Names and invoice numbers that stand only in `organisation`'s documents.
fn distinctive(world: &World, organisation: preflight_core::OrganisationId) -> Vec<String> {
    let mut out = Vec::new();
    for d in world.documents_of(organisation) {
        let doc = world.document(d).expect("a document");
        let mut candidates = vec![doc.name.clone()];
        if let Some(summary) = &doc.summary {
            candidates.push(summary.number.clone());
        }
        for candidate in candidates {
            let elsewhere = world.documents().any(|other| {
                other.organisation != organisation
                    && (other.name.contains(&candidate)
                        || other
                            .summary
                            .as_ref()
                            .is_some_and(|s| s.number.contains(&candidate)))
            });
            if candidate.len() >= 8 && !elsewhere && !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out
}

#[test]
fn a_subsidiary_becomes_independent_and_nothing_of_its_documents_stays_behind() {
    // Snapshots every 50 events, so that one exists from before the removal.
    let api = Api::start_with(&["--snapshot-every", "50"]);
    let world = demo_world();
    let org = |name: &str| {
        world
            .organisations()
            .find(|o| o.name == name)
            .expect("a demo organisation")
            .clone()
    };
    let labs = org("Globex Labs BV");
    let labs_id = labs.id.to_string();
    let hanna = api.login("hanna@globex.example");
    let jade = api.login("jade@globex.example");
    let bob = api.login("bob@acme.example");
    let support = api.login(preflight_core::generate::SUPPORT_EMAIL);

    // Documents that stand only in the subsidiary: an uploaded invoice, and the
    // demo's own (whose names and numbers the check below looks for).
    let marker = "ZQX-LABS-77310";
    upload(
        &api,
        &hanna,
        &labs_id,
        "InboxIn",
        "zebra-quartz-labs.xml",
        &invoice(marker),
    );
    let mut needles = vec![marker.to_string(), "zebra-quartz-labs.xml".to_string()];
    needles.extend(distinctive(&world, labs.id));
    assert!(needles.len() > 3, "{needles:?}");
    let before = api.projection(&hanna);
    let n_documents = before.documents_of(labs.id).count();

    // 1. Simulate.
    let (status, comparison) = api.call(
        "POST",
        "/api/split/compare",
        Some(&hanna),
        Some(json!({ "organisations": [labs.id], "questions": { "separate_credit": true, "restrict_employees": false, "client_manages_own_account": true, "central_overview": false } })),
    );
    assert_eq!(status, 200, "{comparison}");
    let plan = comparison["full_separation"].clone();
    assert_eq!(plan["impact"]["documents_deleted"], n_documents);
    assert_eq!(plan["impact"]["documents_not_exported"], n_documents);

    // 2. Export: a User may not, the Administrator may; the same documents give
    //    the same bytes.
    assert_eq!(export(&api, &jade, &labs_id).0, 403);
    let (status, bundle) = export(&api, &hanna, &labs_id);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bundle));
    let manifest = manifest_of(&bundle);
    assert_eq!(
        manifest["documents"].as_array().expect("documents").len(),
        n_documents
    );
    let digest = manifest["digest"].as_str().expect("a digest").to_string();
    assert_eq!(export(&api, &hanna, &labs_id).1, bundle, "exports differ");

    // 3. Authorise: nobody but Globex's Administrator.
    let authorise = json!({ "type": "AuthoriseRemoval", "organisation": labs.id,
                            "export": digest, "accept_loss": false, "plan": plan });
    let (status, refused) = command(&api, &bob, authorise.clone());
    assert!(matches!(status, 403 | 404), "{refused}");
    let alice = api.login("alice@acme.example");
    let (status, refused) = command(&api, &alice, authorise.clone());
    assert!(
        matches!(status, 403 | 404),
        "an Administrator of another environment: {refused}"
    );

    // Support cannot remove without the authorisation.
    let remove = json!({ "type": "ExecuteRemoval", "organisation": labs.id });
    let (status, refused) = command(&api, &support, remove.clone());
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("removal_not_authorised")),
        "{refused}"
    );
    accepted(&api, &hanna, authorise);
    let (status, pending) = api.call("GET", "/api/removals", Some(&support), None);
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending[0]["organisation"], labs_id);
    assert_eq!(api.call("GET", "/api/removals", Some(&hanna), None).0, 403);

    // 4. Support removes it.
    let (status, refused) = command(&api, &hanna, remove.clone());
    assert_eq!(status, 403, "{refused}");
    accepted(&api, &support, remove);
    let after = api.projection(&hanna);
    assert_eq!(after.document_count(labs.id), 0);
    assert_eq!(
        after.organisation(labs.id).map(|o| o.status),
        Some(preflight_core::OrgStatus::Removed)
    );

    // Irreversibility: nothing under the data directory holds those strings.
    for (path, bytes) in files_under(api.data_dir()) {
        for needle in &needles {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{} still holds {needle:?}",
                path.display()
            );
        }
    }

    // 5. A user signs up the new environment, adds and activates the organisation.
    let body = json!({ "environment_name": "Globex Labs", "name": "Lena Labs",
                       "email": "lena@labs.example",
                       "password": preflight_core::generate::DEMO_PASSWORD })
    .to_string();
    let (status, set_cookie, answer) =
        request(api.addr(), "POST", "/api/signup", None, Some(&body));
    assert_eq!(status, 200, "{answer}");
    let lena = session_token(&set_cookie);
    let answer = accepted(
        &api,
        &lena,
        json!({ "type": "AddOrganisation", "name": "Globex Labs BV", "participant_id": labs.participant_id }),
    );
    let new_labs = answer["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "OrganisationAdded")
        .and_then(|e| e["organisation"].as_str())
        .expect("the new organisation")
        .to_string();
    accepted(
        &api,
        &lena,
        json!({ "type": "ActivateOrganisation", "organisation": new_labs }),
    );

    // 6. The bundle: refused when tampered, truncated or foreign; then imported.
    let mut changed = bundle.clone();
    let last_document = bundle.len() - 1024 - 600;
    changed[last_document] ^= 0x20;
    let (status, refused) = import(&api, &lena, &new_labs, &changed);
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("bundle_tampered")),
        "{refused}"
    );
    let (status, refused) = import(&api, &lena, &new_labs, &bundle[..bundle.len() / 2]);
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("bundle_incomplete")),
        "{refused}"
    );
    let (status, refused) = import(&api, &lena, &new_labs, b"not a bundle at all");
    assert_eq!(status, 422, "{refused}");
    assert_eq!(api.projection(&lena).document_count(id_of(&new_labs)), 0);
    let (status, refused) = import(&api, &hanna, &new_labs, &bundle);
    assert_eq!(status, 404, "someone else's organisation: {refused}");
    let (status, answer) = import(&api, &lena, &new_labs, &bundle);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["documents"], n_documents);
    let (status, refused) = import(&api, &lena, &new_labs, &bundle);
    assert_eq!(status, 409, "twice: {refused}");

    // Every document byte for byte.
    let restored = api.projection(&lena);
    let new_labs_id = id_of(&new_labs);
    assert_eq!(restored.document_count(new_labs_id), n_documents);
    for d in restored.documents_of(new_labs_id) {
        let doc = restored.document(d).expect("a document");
        let (status, _, bytes) = exchange(
            api.addr(),
            "GET",
            &format!("/api/documents/{d}/content"),
            &[cookie(&lena)],
            &[],
        );
        assert_eq!(status, 200);
        assert_eq!(
            preflight_core::Sha256::of(&bytes),
            doc.sha256,
            "{}",
            doc.name
        );
    }

    // 7. An invoice sent to the old identifier lands in the new environment.
    let ahmed = api.login("ahmed@northwind.example");
    let northwind = world
        .organisations_of_user(
            world
                .user_by_email("ahmed@northwind.example")
                .expect("ahmed")
                .id,
        )
        .first()
        .copied()
        .expect("an organisation");
    let sent = upload(
        &api,
        &ahmed,
        &northwind.to_string(),
        "InboxOut",
        "to-the-new-labs.xml",
        &invoice("NW-TO-LABS-1"),
    );
    let answer = accepted(
        &api,
        &ahmed,
        json!({ "type": "SendDocument", "document": sent, "to": labs.participant_id }),
    );
    let sent_event = answer["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "DocumentSent")
        .expect("sent")
        .clone();
    // The recipient's copy is not the sender's to see: its id is not told.
    assert_eq!(
        sent_event["delivered_as"],
        "00000000-0000-0000-0000-000000000000"
    );
    let delivered = api
        .projection(&lena)
        .documents()
        .find(|d| d.name == "to-the-new-labs.xml" && d.doc_box == DocBox::InboxIn)
        .expect("delivered on the platform")
        .id
        .to_string();
    let seen_by = |token: &str| {
        exchange(
            api.addr(),
            "GET",
            &format!("/api/documents/{delivered}/content"),
            &[cookie(token)],
            &[],
        )
        .0
    };
    assert_eq!(seen_by(&lena), 200);
    for old in [&hanna, &jade, &bob] {
        assert_eq!(seen_by(old), 404);
    }
    let landed = api.projection(&lena);
    let doc = landed
        .document(id_of(&delivered))
        .expect("in the new environment");
    assert_eq!(doc.organisation, new_labs_id);
    assert_eq!(doc.doc_box, DocBox::InboxIn);
}

#[test]
fn a_bundle_re_hashed_after_an_edit_or_from_another_platform_is_refused() {
    let api = Api::start();
    let other = Api::start();
    let world = demo_world();
    let labs = org_named(&world, "Globex Labs BV").to_string();
    let retail = org_named(&world, "Globex Retail BV").to_string();
    let hanna = api.login("hanna@globex.example");
    let (status, bundle) = export(&api, &hanna, &labs);
    assert_eq!(status, 200);

    // Edit a document name in the manifest and recompute every digest: the
    // signature no longer matches.
    let mut archive = tar::Archive::new(bundle.as_slice());
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a name").to_string_lossy().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("bytes");
        files.push((name, bytes));
    }
    let mut manifest: preflight_core::bundle::Manifest =
        serde_json::from_slice(&files[0].1).expect("a manifest");
    manifest.documents[0].name = "edited.xml".into();
    manifest.digest = manifest.compute_digest();
    files[0].1 = manifest.to_bytes();
    let mut edited = tar::Builder::new(Vec::new());
    for (name, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        edited
            .append_data(&mut header, name, bytes.as_slice())
            .expect("an entry");
    }
    let edited = edited.into_inner().expect("an archive");
    let (status, refused) = import(&api, &hanna, &retail, &edited);
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("bundle_signature_invalid")),
        "{refused}"
    );

    // A bundle signed by another platform (another server's key).
    let hanna_elsewhere = other.login("hanna@globex.example");
    let (status, foreign) = export(&other, &hanna_elsewhere, &labs);
    assert_eq!(status, 200);
    let (status, refused) = import(&api, &hanna, &retail, &foreign);
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("bundle_signature_invalid")),
        "{refused}"
    );
    // Someone who sees retail but administers nothing is refused before the
    // bundle is read.
    let ivo = api.login("ivo@globex.example");
    let (status, refused) = import(&api, &ivo, &retail, &bundle);
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("not_permitted")),
        "{refused}"
    );
    // A genuine bundle of labs does not go into retail (another identifier).
    let (status, refused) = import(&api, &hanna, &retail, &bundle);
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_input")),
        "{refused}"
    );
}

#[test]
fn a_bundle_larger_than_the_configured_limit_is_refused_and_nothing_is_imported() {
    // Between the demo's Globex Retail bundle (about 14 kB) and Globex Labs'
    // (about 34 kB).
    const LIMIT: usize = 20_000;
    let api = Api::start_with(&["--max-bundle-bytes", &LIMIT.to_string()]);
    let world = demo_world();
    let (labs, retail) = (
        org_named(&world, "Globex Labs BV"),
        org_named(&world, "Globex Retail BV"),
    );
    let hanna = api.login("hanna@globex.example");
    let (status, large) = export(&api, &hanna, &labs.to_string());
    assert_eq!(status, 200);
    let (status, small) = export(&api, &hanna, &retail.to_string());
    assert_eq!(status, 200);
    assert!(
        small.len() <= LIMIT && large.len() > LIMIT,
        "the bundles no longer straddle the limit: {} and {} bytes",
        small.len(),
        large.len()
    );

    // A genuine bundle, which the Administrator could otherwise import into the
    // organisation it came from, is refused for its size alone.
    let n_before = api.projection(&hanna).document_count(labs);
    assert_refused(
        import(&api, &hanna, &labs.to_string(), &large),
        413,
        "too_large",
        "larger than the 20 KB the server accepts",
    );
    assert_eq!(api.projection(&hanna).document_count(labs), n_before);
    let uploads = api.data_dir().join("uploads");
    let left_behind: Vec<_> = std::fs::read_dir(&uploads)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left_behind.is_empty(), "{left_behind:?}");

    // A bundle within the limit is imported.
    let n_before = api.projection(&hanna).document_count(retail);
    let (status, answer) = import(&api, &hanna, &retail.to_string(), &small);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        api.projection(&hanna).document_count(retail),
        n_before * 2,
        "{answer}"
    );
}

#[test]
fn a_removal_authorised_on_a_plan_that_has_gone_stale_is_refused_until_simulated_again() {
    let api = Api::start();
    let world = demo_world();
    let labs = org_named(&world, "Globex Labs BV");
    let labs_id = labs.to_string();
    let hanna = api.login("hanna@globex.example");
    let support = api.login(preflight_core::generate::SUPPORT_EMAIL);
    let simulate = || {
        let (status, comparison) = api.call(
            "POST",
            "/api/split/compare",
            Some(&hanna),
            Some(json!({ "organisations": [labs], "questions": { "separate_credit": true, "restrict_employees": false, "client_manages_own_account": true, "central_overview": false } })),
        );
        assert_eq!(status, 200, "{comparison}");
        comparison["full_separation"].clone()
    };
    let plan = simulate();
    let (status, bundle) = export(&api, &hanna, &labs_id);
    assert_eq!(status, 200);
    let digest = manifest_of(&bundle)["digest"].clone();
    let authorise = |plan: &Value| {
        json!({ "type": "AuthoriseRemoval", "organisation": labs, "export": digest,
                "accept_loss": false, "plan": plan })
    };
    accepted(&api, &hanna, authorise(&plan));

    // Hanna shares one of its invoices with Ivo: the plan no longer says what
    // the removal would take from whom.
    let invoice = world
        .documents_of(labs)
        .find(|d| {
            world
                .document(*d)
                .is_some_and(|d| d.doc_box == DocBox::InboxIn)
        })
        .expect("an inbound invoice");
    let ivo = world.user_by_email("ivo@globex.example").expect("ivo").id;
    accepted(
        &api,
        &hanna,
        json!({ "type": "ShareDocument", "document": invoice,
                "grantee": { "kind": "User", "id": ivo }, "level": "Edit" }),
    );
    let remove = json!({ "type": "ExecuteRemoval", "organisation": labs });
    assert_refused(
        command(&api, &support, remove.clone()),
        409,
        "stale_plan",
        "shares changed",
    );
    assert_refused(
        command(&api, &hanna, authorise(&plan)),
        409,
        "stale_plan",
        "shares changed",
    );
    assert!(api.projection(&hanna).document_count(labs) > 0);

    // Simulated and authorised again, the removal goes ahead.
    accepted(&api, &hanna, authorise(&simulate()));
    accepted(&api, &support, remove);
    assert_eq!(api.projection(&hanna).document_count(labs), 0);
}

/// A removal recorded, then the process stops before erasing anything (the
/// engine is driven directly, without the handler's erasure): the next start
/// finishes the erasure before serving.
#[tokio::test]
async fn a_removal_interrupted_before_its_erasure_is_finished_at_the_next_start() {
    use preflight_core::bundle::Manifest;
    use preflight_core::{Actor, Command};
    let data = tempfile::tempdir().expect("temp dir");
    let (state, _) = crate::support::open_library(data.path()).await;
    let world = state.engine.world();
    let labs = org_named(&world, "Globex Labs BV");
    let hanna = Actor::user(
        world
            .user_by_email("hanna@globex.example")
            .expect("hanna")
            .id,
    );
    let needles = distinctive(&world, labs);
    assert!(!needles.is_empty());
    let digest = Manifest::of(&world, labs).expect("a manifest").digest;
    for (actor, command) in [
        (
            hanna.clone(),
            Command::ExportOrganisation {
                organisation: labs,
                digest,
            },
        ),
        (
            hanna.clone(),
            Command::AuthoriseRemoval {
                organisation: labs,
                export: digest,
                accept_loss: false,
                plan: None,
            },
        ),
        (
            Actor::Support {
                name: "support".into(),
            },
            Command::ExecuteRemoval { organisation: labs },
        ),
    ] {
        state
            .engine
            .submit(actor, command, None)
            .await
            .expect("accepted");
    }
    drop(state);
    let holds = |needle: &String| {
        files_under(data.path())
            .iter()
            .any(|(_, bytes)| contains(bytes, needle.as_bytes()))
    };
    assert!(needles.iter().any(holds), "nothing was erased yet");

    let (state, _) = crate::support::open_library(data.path()).await;
    assert_eq!(state.engine.world().document_count(labs), 0);
    drop(state);
    for needle in &needles {
        assert!(!holds(needle), "{needle:?} survived the restart");
    }
}
