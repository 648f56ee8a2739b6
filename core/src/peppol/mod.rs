//! Peppol: the network the platform exchanges e-invoices over.
//!
//! Everything here is pure computation on bytes and strings, with no I/O,
//! clock or randomness, so that the same code runs on the server, in the
//! browser (WebAssembly) and under a fuzzer, and gives the same answer in
//! all three.

pub mod participant;
pub mod ubl;

use std::fmt::Write;

use sha2::{Digest, Sha256};

pub use participant::{ParticipantId, ParticipantIdError, Scheme};
pub use ubl::{
    read_document, AllowanceCharge, Date, DateError, DocumentKind, DocumentSummary, Endpoint,
    Finding, Line, Party, Totals, UblDocument, UblError, MAX_DEPTH, MAX_DOCUMENT_BYTES,
};

/// The SHA-256 digest of `bytes` as 64 lowercase hexadecimal digits, the
/// form in which documents are identified and deduplicated.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// At most `max_chars` characters of untrusted text, marked with `…` when
/// cut, so that error messages repeating input stay short.
fn excerpt(input: &str, max_chars: usize) -> String {
    match input.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", input.get(..cut).unwrap_or_default()),
        None => input.to_owned(),
    }
}

/// The brief of a read invoice that the world keeps for every document.
pub fn doc_summary(document: &UblDocument) -> crate::model::DocSummary {
    crate::model::DocSummary {
        kind: match document.kind {
            DocumentKind::Invoice => "Invoice".to_string(),
            DocumentKind::CreditNote => "CreditNote".to_string(),
        },
        number: document.number.clone(),
        issue_date: document.issue_date.to_string(),
        due_date: document.due_date.map(|d| d.to_string()),
        currency: document.currency.clone(),
        supplier: document.supplier.name.clone(),
        customer: document.customer.name.clone(),
        payable: document.totals.payable.to_string(),
        tax_exclusive: Some(document.totals.tax_exclusive.to_string()),
        tax_inclusive: Some(document.totals.tax_inclusive.to_string()),
        tax_total: Some(document.tax_total.to_string()),
        vat: document
            .vat_breakdown
            .iter()
            .map(|line| crate::model::VatLine {
                category: line.category.clone(),
                percent: line.percent.map(|p| p.to_string()),
                taxable: line.taxable.to_string(),
                tax: line.tax.to_string(),
                exemption_reason: line.exemption_reason.clone(),
            })
            .collect(),
    }
}

/// The command that records an uploaded file, and the business rules its
/// figures break (the document is kept regardless).
///
/// The inboxes take invoices only, so a file there must be UBL the reader reads;
/// the Documents box takes any file and reads it as an invoice when it is one.
pub fn upload_command(
    organisation: crate::model::ids::OrganisationId,
    doc_box: crate::model::DocBox,
    name: String,
    bytes: &[u8],
) -> Result<(crate::model::command::Command, Vec<Finding>), UblError> {
    use crate::model::DocBox;
    let (summary, findings) = match (read_document(bytes), doc_box) {
        (Ok(document), _) => (Some(doc_summary(&document)), document.findings),
        (Err(error), DocBox::InboxIn | DocBox::InboxOut) => return Err(error),
        (Err(_), DocBox::Documents) => (None, Vec::new()),
    };
    let command = crate::model::command::Command::UploadDocument {
        organisation,
        doc_box,
        name,
        sha256: crate::model::ids::Sha256::of(bytes),
        size: bytes.len() as u64,
        summary,
    };
    Ok((command, findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_known_digests() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn excerpt_cuts_on_character_boundaries() {
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("abcd", 3), "abc…");
        assert_eq!(excerpt("ééééé", 2), "éé…");
        assert_eq!(excerpt("", 0), "");
    }
}
