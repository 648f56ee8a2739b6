//! Feeds arbitrary bytes to the document reader and the identifier parser,
//! which both take input straight from the network and must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight_core::peppol::{ParticipantId, read_document};

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = read_document(data) {
        let _ = document.summary();
        for party in [&document.supplier, &document.customer] {
            if let Some(id) = party.participant_id() {
                let _ = id.validate();
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(id) = ParticipantId::parse(text)
    {
        let _ = id.validate();
        assert_eq!(ParticipantId::parse(&id.to_string()).as_ref(), Ok(&id));
    }
});
