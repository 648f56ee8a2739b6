//! §6 Credit and Peppol.

use super::fixture::*;
use super::scenario::*;
use preflight_core::generate::belgian_enterprise_number;
use preflight_core::*;

#[test]
fn send_charges_each_sides_cost_bearer_one_credit() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    let events = t.f.ok(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
    );
    assert_eq!(t.f.credit(t.acme), 24);
    assert_eq!(t.f.credit(t.mill_env), 24);
    let sent = t.f.world.ledger_of(t.acme).last().unwrap().clone();
    assert_eq!((sent.amount, sent.organisation), (-1, Some(t.bakery)));
    assert_eq!(sent.reason, LedgerReason::Sent { document: doc });
    let delivered = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentSent {
                delivered_as,
                to: sent_to,
                ..
            } => {
                assert_eq!(sent_to, &to);
                Some(*delivered_as)
            }
            _ => None,
        })
        .unwrap();
    let received = t.f.world.ledger_of(t.mill_env).last().unwrap().clone();
    assert_eq!((received.amount, received.organisation), (-1, Some(t.mill)));
    assert_eq!(
        received.reason,
        LedgerReason::Received {
            document: delivered
        }
    );
}

#[test]
fn registered_organisation_is_reachable() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    let events = t.f.ok(t.ada, Command::SendDocument { document: doc, to });
    let landed = events
        .iter()
        .find_map(|e| match e {
            Event::DocumentAdded { document } => Some(document.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(landed.organisation, t.mill);
    assert_eq!(landed.environment, t.mill_env);
    assert_eq!(landed.doc_box, DocBox::InboxIn);
    assert_eq!(landed.sha256, t.f.world.document(doc).unwrap().sha256);
    // The sender's people do not see what landed at the recipient.
    expect(&t.f.world, t.ada, Action::View, doc_res(landed.id), false);
    // From outside the platform too.
    let received = t.f.receive(t.bakery);
    let doc = t.f.world.document(received).unwrap();
    assert_eq!((doc.organisation, doc.doc_box), (t.bakery, DocBox::InboxIn));
    expect(&t.f.world, t.ada, Action::View, doc_res(received), true);
}

#[test]
fn sending_with_too_little_credit_is_refused_and_changes_nothing() {
    let mut t = trade();
    for _ in 0..24 {
        t.f.receive(t.bakery);
    }
    assert_eq!(t.f.credit(t.acme), 1);
    let first = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let second = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    // Exactly enough.
    t.f.ok(
        t.ada,
        Command::SendDocument {
            document: first,
            to: to.clone(),
        },
    );
    assert_eq!(t.f.credit(t.acme), 0);
    let mill_credit = t.f.credit(t.mill_env);
    let error = t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: second,
            to,
        },
        "insufficient_credit",
        "Acme has 0 transaction credit; sending needs 1",
    );
    assert_eq!(error.code(), "insufficient_credit");
    assert_eq!(t.f.credit(t.mill_env), mill_credit);
    assert_eq!(t.f.world.document_count(t.mill), 1);
}

#[test]
fn receiving_is_never_refused_balance_may_go_negative_and_the_environment_is_flagged() {
    let mut t = trade();
    for _ in 0..27 {
        t.f.receive(t.bakery);
    }
    assert_eq!(t.f.credit(t.acme), -2);
    assert_eq!(
        t.f.world.ledger_of(t.acme).last().unwrap().balance_after,
        -2
    );
    // A negative balance flags the environment.
    assert!(t.f.world.environment(t.acme).unwrap().flagged());
    assert_eq!(t.f.world.document_count(t.bakery), 27);
    // Sending, though, is refused until Support tops up.
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let to = t.f.participant(t.mill);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
        "insufficient_credit",
        "-2",
    );
    t.f.ok_as(
        &support(),
        Command::TopUpCredit {
            environment: t.acme,
            amount: 3,
        },
    );
    assert!(!t.f.world.environment(t.acme).unwrap().flagged());
    t.f.ok(t.ada, Command::SendDocument { document: doc, to });
}

#[test]
fn send_to_unknown_identifier_is_refused_and_charges_nothing() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let nobody = belgian_enterprise_number(999);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: nobody.clone(),
        },
        "unknown_recipient",
        &format!("`{nobody}`; nothing was sent or charged"),
    );
    // An organisation that is added but not active is not reachable either.
    let max = t.f.world.users_of(t.mill_env)[0];
    let participant_id = t.f.next_participant();
    t.f.add_org(max, "Mill Two", &participant_id);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: participant_id.clone(),
        },
        "unknown_recipient",
        &participant_id,
    );
    t.f.refuse_as(
        &Actor::Network,
        Command::ReceiveDocument {
            to: participant_id,
            name: "x.xml".into(),
            sha256: Sha256::of(b"x"),
            size: 1,
            summary: None,
        },
        "unknown_recipient",
        "no active organisation",
    );
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: doc,
            to: "1234:5".into(),
        },
        "invalid_participant_id",
        "1234",
    );
    assert_eq!(t.f.credit(t.acme), 25);
}

#[test]
fn only_inbox_out_documents_of_active_organisations_are_sent() {
    let mut t = trade();
    let to = t.f.participant(t.mill);
    let draft = t.f.upload(t.ada, t.bakery, DocBox::Documents);
    t.f.refuse(
        t.ada,
        Command::SendDocument {
            document: draft,
            to: to.clone(),
        },
        "invalid_input",
        "Inbox OUT",
    );
    let participant_id = t.f.next_participant();
    let dairy = t.f.add_org(t.ada, "Dairy", &participant_id);
    let doc = t.f.upload(t.ada, dairy, DocBox::InboxOut);
    t.f.refuse(
        t.ada,
        Command::SendDocument { document: doc, to },
        "not_permitted",
        "Dairy is not active on Peppol",
    );
}

#[test]
fn sending_to_an_identifier_with_a_wrong_check_digit_is_refused_from_the_input_alone() {
    let mut t = trade();
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    let mut wrong = t.f.participant(t.mill);
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let send = Command::SendDocument {
        document: doc,
        to: wrong,
    };
    // On Ada's projection, as the browser previews it: refused, nothing left
    // for the server to confirm.
    let ctx = t.f.next_context();
    let shown = preview(&project(&t.f.world, t.ada), &by(t.ada), send.clone(), &ctx);
    assert!(!shown.allowed && shown.unconfirmed.is_empty(), "{shown:?}");
    t.f.refuse(t.ada, send, "invalid_participant_id", "check digit");
}

#[test]
fn sending_needs_edit() {
    let mut t = trade();
    let cleo = t.f.invite(t.ada, "cleo@acme.test", EnvRole::User);
    let doc = t.f.upload(t.ada, t.bakery, DocBox::InboxOut);
    t.f.share(t.ada, doc, Grantee::User(cleo), Level::View);
    let to = t.f.participant(t.mill);
    t.f.refuse(
        cleo,
        Command::SendDocument {
            document: doc,
            to: to.clone(),
        },
        "not_permitted",
        "needs Edit",
    );
    t.f.ok(
        t.ada,
        Command::ShareDocument {
            document: doc,
            grantee: Grantee::User(cleo),
            level: Level::Edit,
        },
    );
    t.f.ok(cleo, Command::SendDocument { document: doc, to });
}

#[test]
fn only_the_network_delivers_documents() {
    let mut t = trade();
    let to = t.f.participant(t.bakery);
    t.f.refuse(
        t.ada,
        Command::ReceiveDocument {
            to,
            name: "x.xml".into(),
            sha256: Sha256::of(b"x"),
            size: 1,
            summary: None,
        },
        "not_permitted",
        "only the Peppol network",
    );
}

#[test]
fn activation_requires_valid_unique_identifier() {
    let mut t = trade();
    // Well-formed but with wrong check digits: refused from the input alone,
    // when the organisation is added (so a preview in the browser says so).
    let valid = belgian_enterprise_number(500);
    let mut wrong = valid.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    t.f.refuse(
        t.ada,
        Command::AddOrganisation {
            name: "Dairy".into(),
            participant_id: wrong.clone(),
        },
        "invalid_participant_id",
        &wrong["0208:".len()..],
    );
    // Malformed or of an unsupported scheme: not even added.
    for malformed in ["0208", "9999:123", "0208:"] {
        t.f.refuse(
            t.ada,
            Command::AddOrganisation {
                name: "X".into(),
                participant_id: malformed.into(),
            },
            "invalid_participant_id",
            "",
        );
    }
    // Unique among registered participants, however it is written.
    let max = t.f.world.users_of(t.mill_env)[0];
    let taken = t.f.participant(t.mill);
    for spelling in [
        taken.clone(),
        format!("iso6523-actorid-upis::{taken}"),
        format!("  {taken} "),
    ] {
        let twin = t.f.add_org(t.ada, "Twin", &spelling);
        t.f.refuse(
            t.ada,
            Command::ActivateOrganisation { organisation: twin },
            "conflict",
            "already registered by another organisation",
        );
        let again = t.f.add_org(max, "Mill Twin", &spelling);
        t.f.refuse(
            max,
            Command::ActivateOrganisation {
                organisation: again,
            },
            "conflict",
            "already registered",
        );
    }
    assert_eq!(t.f.world.registered(&taken).unwrap().id, t.mill);
    // A valid, free identifier registers.
    let fresh = t.f.add_org(t.ada, "Fresh", &valid);
    t.f.ok(
        t.ada,
        Command::ActivateOrganisation {
            organisation: fresh,
        },
    );
    assert_eq!(t.f.world.registered(&valid).unwrap().id, fresh);
}

#[test]
fn adding_and_activation_accept_every_scheme_of_the_rule_book_and_check_its_digits() {
    let be = &belgian_enterprise_number(7)["0208:".len()..];
    let cases: [(String, String); 10] = [
        (belgian_enterprise_number(7), {
            let mut s = belgian_enterprise_number(7);
            let d = s.pop().unwrap();
            s.push(if d == '9' { '8' } else { '9' });
            s
        }),
        (format!("9925:BE{be}"), format!("9925:{be}")),
        ("0088:5400001000002".into(), "0088:5400001000003".into()),
        ("0192:923609016".into(), "0192:923609017".into()),
        ("0007:5560360793".into(), "0007:5560360794".into()),
        ("0184:13585628".into(), "0184:13585629".into()),
        ("0106:12345678".into(), "0106:1234567".into()),
        (
            "0190:00000001234567890123".into(),
            "0190:0000000123456789012".into(),
        ),
        ("9944:NL123456789B01".into(), "9944:NL123456789X01".into()),
        ("9930:DE123456789".into(), "9930:DE12345678".into()),
    ];
    let mut t = trade();
    for (n, (valid, invalid)) in cases.into_iter().enumerate() {
        t.f.refuse(
            t.ada,
            Command::AddOrganisation {
                name: format!("Bad {n}"),
                participant_id: invalid.clone(),
            },
            "invalid_participant_id",
            "",
        );
        let good = t.f.add_org(t.ada, &format!("Good {n}"), &valid);
        t.f.ok(t.ada, Command::ActivateOrganisation { organisation: good });
        assert_eq!(
            t.f.world.registered(&valid).map(|o| o.id),
            Some(good),
            "{valid}"
        );
    }
}
