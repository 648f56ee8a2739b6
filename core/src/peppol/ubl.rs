//! Reading UBL 2.1 invoices and credit notes as Peppol BIS Billing 3.0 uses them.
//!
//! Documents arrive from anyone on the network, so reading is defensive
//! first: size, encoding, document type declarations and nesting depth are
//! refused before any field is looked at, and nothing here can panic or
//! recurse on input. Beyond that the reader is deliberately lenient about
//! content it does not need, because refusing a real invoice costs a
//! customer more than carrying an odd one: identifiers are kept raw and
//! never check-digit validated, and totals that do not add up become
//! [`Finding`]s attached to the document rather than errors.
//!
//! Amounts are exact decimals from end to end, because the totals checks
//! below compare to the cent and a float would make them lie.

use std::fmt;
use std::str::FromStr;

use roxmltree::{Document, Node, ParsingOptions};
use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::participant::ParticipantId;

/// The largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The deepest element nesting accepted. Real UBL documents stay below 15.
pub const MAX_DEPTH: usize = 256;

const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";

/// The longest excerpt of a document's text repeated in an error message.
const MAX_EXCERPT_CHARS: usize = 128;

fn excerpt(input: &str) -> String {
    super::excerpt(input, MAX_EXCERPT_CHARS)
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UblError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the document is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The elements nest deeper than [`MAX_DEPTH`].
    #[error("the document nests elements more than {limit} levels deep")]
    TooDeep { limit: usize },
    /// The document is not UTF-8 or not well-formed XML.
    #[error("the document is not well-formed XML: {reason}")]
    MalformedXml { reason: String },
    /// The document has a document type declaration or declares entities.
    #[error("the document contains a document type declaration, which is not allowed")]
    DtdForbidden,
    /// The root element is not a UBL invoice or credit note.
    #[error("the root element is `{found}`, not a UBL 2.1 `Invoice` or `CreditNote`")]
    NotUbl { found: String },
    /// A required element or attribute is absent or empty.
    #[error("the required element `{path}` is missing")]
    MissingField { path: String },
    /// An element's content cannot be read as what it must be.
    #[error("the element `{path}` contains `{value}`, which is not {expected}")]
    InvalidField {
        path: String,
        value: String,
        expected: &'static str,
    },
}

impl UblError {
    /// A stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            UblError::TooLarge { .. } => "too_large",
            UblError::TooDeep { .. } => "too_deep",
            UblError::MalformedXml { .. } => "malformed_xml",
            UblError::DtdForbidden => "dtd_forbidden",
            UblError::NotUbl { .. } => "not_ubl",
            UblError::MissingField { .. } => "missing_field",
            UblError::InvalidField { .. } => "invalid_field",
        }
    }
}

/// Why a text is not a calendar date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not `YYYY-MM-DD` or names a day that does not exist.
    #[error("`{input}` is not a date of the form YYYY-MM-DD")]
    Invalid { input: String },
}

impl DateError {
    /// A stable machine-readable code for API responses.
    pub fn code(&self) -> &'static str {
        "invalid_date"
    }
}

/// A calendar date without time zone, as Peppol requires (`YYYY-MM-DD`).
///
/// Only existing days between the years 1 and 9999 can be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if that day exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year.is_multiple_of(4)
                && (!year.is_multiple_of(100) || year.is_multiple_of(400)) =>
            {
                29
            }
            2 => 28,
            _ => return None,
        };
        ((1..=9999).contains(&year) && (1..=days_in_month).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// The year, from 1 to 9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, from 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = || DateError::Invalid {
            input: excerpt(input),
        };
        let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = input.as_bytes() else {
            return Err(invalid());
        };
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u16, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + u16::from(b - b'0'))
            })
        };
        let year = number(&[*y1, *y2, *y3, *y4]).ok_or_else(invalid)?;
        let month = number(&[*m1, *m2]).and_then(|m| u8::try_from(m).ok());
        let day = number(&[*d1, *d2]).and_then(|d| u8::try_from(d).ok());
        month
            .zip(day)
            .and_then(|(month, day)| Date::new(year, month, day))
            .ok_or_else(invalid)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(de::Error::custom)
    }
}

/// Whether the document bills or credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// An electronic address as written in the document, never validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The `schemeID` attribute, empty when the document leaves it out.
    pub scheme_id: String,
    pub value: String,
}

impl Endpoint {
    /// The endpoint as a participant identifier if it is well-formed and in
    /// a supported scheme; check digits are not looked at.
    pub fn participant_id(&self) -> Option<ParticipantId> {
        ParticipantId::parse(&self.to_string()).ok()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme_id, self.value)
    }
}

/// The supplier or the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The legal registration name, or the trading name when there is none.
    pub name: String,
    pub endpoint: Option<Endpoint>,
    /// The postal address (BG-5, BG-8), when the document gives one.
    pub address: Option<Address>,
}

/// A postal address as written: street lines, city, postal code, country code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_zone: Option<String>,
    /// ISO 3166-1 alpha-2, as written.
    pub country: Option<String>,
}

/// How to pay (BG-16): the means, the remittance reference and the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The UNCL4461 code (`30` credit transfer, `58` SEPA credit transfer, ...).
    pub code: String,
    /// The means' name when the document gives it (`Credit transfer`).
    pub name: Option<String>,
    /// The remittance information to quote (BT-83).
    pub reference: Option<String>,
    /// The payee's account: an IBAN for a credit transfer (BT-84).
    pub account: Option<String>,
    pub account_name: Option<String>,
    /// The payment service provider, a BIC (BT-86).
    pub provider: Option<String>,
}

impl Party {
    /// See [`Endpoint::participant_id`].
    pub fn participant_id(&self) -> Option<ParticipantId> {
        self.endpoint.as_ref().and_then(Endpoint::participant_id)
    }
}

/// The document totals (`cac:LegalMonetaryTotal`) as stated, not recomputed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub line_extension: Decimal,
    pub tax_exclusive: Decimal,
    pub tax_inclusive: Decimal,
    /// Zero when the document leaves it out.
    pub allowance_total: Decimal,
    /// Zero when the document leaves it out.
    pub charge_total: Decimal,
    /// Zero when the document leaves it out.
    pub prepaid: Decimal,
    /// Zero when the document leaves it out.
    pub payable_rounding: Decimal,
    pub payable: Decimal,
}

/// One line of the VAT breakdown (BG-23), in the document currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// The VAT category code (`S`, `Z`, `E`, `AE`, `K`, `G`, `O`, `L`, `M`).
    pub category: String,
    /// The rate in percent, when the document states one.
    pub percent: Option<Decimal>,
    pub taxable: Decimal,
    pub tax: Decimal,
    /// The exemption reason as stated: its text, else its code (`VATEX-EU-F`).
    pub exemption_reason: Option<String>,
}

/// A document-level allowance or charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    pub amount: Decimal,
    pub reason: Option<String>,
    pub reason_code: Option<String>,
}

/// An invoice or credit note line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub quantity: Decimal,
    pub unit_code: String,
    pub unit_price: Decimal,
    pub base_quantity: Option<Decimal>,
    pub amount: Decimal,
}

/// A business rule the document breaks without being unreadable.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule identifier from EN 16931, for example `BR-CO-10`.
    pub rule: String,
    pub message: String,
}

/// The parts of an invoice or credit note the platform works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UblDocument {
    pub kind: DocumentKind,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub currency: String,
    pub buyer_reference: Option<String>,
    pub supplier: Party,
    pub customer: Party,
    pub totals: Totals,
    /// The total tax in the document currency.
    pub tax_total: Decimal,
    /// The VAT breakdown (BG-23): one entry per VAT category and rate.
    pub vat_breakdown: Vec<VatBreakdown>,
    pub allowances: Vec<AllowanceCharge>,
    pub charges: Vec<AllowanceCharge>,
    pub lines: Vec<Line>,
    /// The payment instructions, in the document's order.
    pub payments: Vec<Payment>,
    /// The payment terms as written (BT-20).
    pub payment_terms: Option<String>,
    pub findings: Vec<Finding>,
}

/// What is kept about a document once it has been read, small enough to
/// hold a million of them in memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub kind: DocumentKind,
    pub number: Box<str>,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub currency: Box<str>,
    pub supplier_name: Box<str>,
    pub customer_name: Box<str>,
    /// The raw endpoint as `scheme:value`.
    pub supplier_endpoint: Option<Box<str>>,
    /// The raw endpoint as `scheme:value`.
    pub customer_endpoint: Option<Box<str>>,
    pub payable: Decimal,
    pub tax_exclusive: Decimal,
    /// Saturates at `u32::MAX`.
    pub n_lines: u32,
    /// Saturates at `u16::MAX`.
    pub n_findings: u16,
}

impl UblDocument {
    /// The compact summary of this document.
    pub fn summary(&self) -> DocumentSummary {
        let endpoint = |party: &Party| party.endpoint.as_ref().map(|e| e.to_string().into());
        DocumentSummary {
            kind: self.kind,
            number: self.number.as_str().into(),
            issue_date: self.issue_date,
            due_date: self.due_date,
            currency: self.currency.as_str().into(),
            supplier_name: self.supplier.name.as_str().into(),
            customer_name: self.customer.name.as_str().into(),
            supplier_endpoint: endpoint(&self.supplier),
            customer_endpoint: endpoint(&self.customer),
            payable: self.totals.payable,
            tax_exclusive: self.totals.tax_exclusive,
            n_lines: u32::try_from(self.lines.len()).unwrap_or(u32::MAX),
            n_findings: u16::try_from(self.findings.len()).unwrap_or(u16::MAX),
        }
    }
}

/// Reads a UBL invoice or credit note.
///
/// Totals that do not add up are reported in [`UblDocument::findings`];
/// only documents that cannot be read at all are refused.
pub fn read_document(bytes: &[u8]) -> Result<UblDocument, UblError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(UblError::TooLarge {
            size: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|error| UblError::MalformedXml {
        reason: format!("the document is not UTF-8: {error}"),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // roxmltree refuses DTDs by itself; checking first as well keeps the
    // refusal independent of the parser's options and of what it reports.
    if declares_dtd(text) {
        return Err(UblError::DtdForbidden);
    }
    check_depth(text)?;
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(|error| match error {
        roxmltree::Error::DtdDetected => UblError::DtdForbidden,
        other => UblError::MalformedXml {
            reason: other.to_string(),
        },
    })?;

    let root = document.root_element();
    let kind = match (root.tag_name().namespace(), root.tag_name().name()) {
        (Some(INVOICE_NS), "Invoice") => DocumentKind::Invoice,
        (Some(CREDIT_NOTE_NS), "CreditNote") => DocumentKind::CreditNote,
        (Some(namespace), name) => {
            return Err(UblError::NotUbl {
                found: excerpt(&format!("{{{namespace}}}{name}")),
            });
        }
        (None, name) => {
            return Err(UblError::NotUbl {
                found: excerpt(name),
            });
        }
    };
    read_root(kind, &Scope::root(root))
}

/// Whether the text has `<!DOCTYPE` or `<!ENTITY` anywhere, in any case.
///
/// This also refuses the harmless case of such text inside a comment or a
/// CDATA section, which no real invoice needs.
fn declares_dtd(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("<!").any(|(index, _)| {
        let rest = bytes.get(index + 2..).unwrap_or_default();
        [b"DOCTYPE".as_slice(), b"ENTITY".as_slice()]
            .iter()
            .any(|keyword| {
                rest.get(..keyword.len())
                    .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
            })
    })
}

/// Refuses nesting deeper than [`MAX_DEPTH`] before the parser sees it.
///
/// roxmltree's tokenizer recurses once per open element, so a document of
/// nested start tags would overflow the stack inside the parser; the check
/// must therefore come first and run on the raw text. It follows the
/// tokenizer's view of the text (comments, CDATA sections, processing
/// instructions and quoted attribute values cannot open elements) wherever
/// the text is well-formed, and where it is not the parser stops at the
/// first error anyway.
fn check_depth(text: &str) -> Result<(), UblError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<'))
    {
        let start = at + offset;
        let tag = bytes.get(start..).unwrap_or_default();
        at = if tag.starts_with(b"<!--") {
            skip_past(bytes, start + 4, b"-->")
        } else if tag.starts_with(b"<![CDATA[") {
            skip_past(bytes, start + 9, b"]]>")
        } else if tag.starts_with(b"<?") {
            skip_past(bytes, start + 2, b"?>")
        } else if tag.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            skip_past(bytes, start + 2, b">")
        } else if tag.starts_with(b"<!") {
            skip_past(bytes, start + 2, b">")
        } else {
            let (end, self_closing) = scan_start_tag(bytes, start + 1);
            if !self_closing {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(UblError::TooDeep { limit: MAX_DEPTH });
                }
            }
            end
        };
    }
    Ok(())
}

/// The index just past the first `pattern` at or after `from`, or the end.
fn skip_past(bytes: &[u8], from: usize, pattern: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(pattern.len()).position(|w| w == pattern))
        .map_or(bytes.len(), |offset| from + offset + pattern.len())
}

/// The index just past the `>` ending the start tag whose name begins at
/// `from`, skipping quoted attribute values, and whether the tag is empty.
fn scan_start_tag(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut quote = None;
    let mut previous = b'<';
    for (index, &byte) in bytes.iter().enumerate().skip(from) {
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            None if byte == b'>' => return (index + 1, previous == b'/'),
            None => {}
        }
        previous = byte;
    }
    (bytes.len(), false)
}

fn read_root(kind: DocumentKind, doc: &Scope<'_, '_>) -> Result<UblDocument, UblError> {
    let number = doc.required_text("cbc:ID")?;
    let issue_date = doc
        .date("cbc:IssueDate")?
        .ok_or_else(|| doc.missing("cbc:IssueDate"))?;
    let due_date = match kind {
        DocumentKind::Invoice => doc.date("cbc:DueDate")?,
        DocumentKind::CreditNote => {
            let mut found = None;
            for means in doc.scopes("cac:PaymentMeans") {
                found = means.date("cbc:PaymentDueDate")?;
                if found.is_some() {
                    break;
                }
            }
            found
        }
    };
    let currency = doc.required_text("cbc:DocumentCurrencyCode")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(doc.invalid(
            "cbc:DocumentCurrencyCode",
            &currency,
            "a three-letter currency code",
        ));
    }
    let buyer_reference = doc.text("cbc:BuyerReference");
    let supplier = read_party(doc, "cac:AccountingSupplierParty/cac:Party")?;
    let customer = read_party(doc, "cac:AccountingCustomerParty/cac:Party")?;

    let monetary = doc.required_scope("cac:LegalMonetaryTotal")?;
    let allowance_total = monetary.amount("cbc:AllowanceTotalAmount")?;
    let charge_total = monetary.amount("cbc:ChargeTotalAmount")?;
    let totals = Totals {
        line_extension: monetary.required_amount("cbc:LineExtensionAmount")?,
        tax_exclusive: monetary.required_amount("cbc:TaxExclusiveAmount")?,
        tax_inclusive: monetary.required_amount("cbc:TaxInclusiveAmount")?,
        allowance_total: allowance_total.unwrap_or_default(),
        charge_total: charge_total.unwrap_or_default(),
        prepaid: monetary.amount("cbc:PrepaidAmount")?.unwrap_or_default(),
        payable_rounding: monetary
            .amount("cbc:PayableRoundingAmount")?
            .unwrap_or_default(),
        payable: monetary.required_amount("cbc:PayableAmount")?,
    };
    let (tax_total, vat_breakdown) = read_tax_total(doc, &currency)?;

    let mut allowances = Vec::new();
    let mut charges = Vec::new();
    for scope in doc.scopes("cac:AllowanceCharge") {
        let (is_charge, entry) = read_allowance_charge(&scope)?;
        if is_charge {
            charges.push(entry);
        } else {
            allowances.push(entry);
        }
    }

    let (line_name, quantity_name) = match kind {
        DocumentKind::Invoice => ("cac:InvoiceLine", "cbc:InvoicedQuantity"),
        DocumentKind::CreditNote => ("cac:CreditNoteLine", "cbc:CreditedQuantity"),
    };
    let lines = doc
        .scopes(line_name)
        .map(|scope| read_line(&scope, quantity_name))
        .collect::<Result<Vec<_>, _>>()?;
    if lines.is_empty() {
        return Err(doc.missing(line_name));
    }

    let mut findings = Vec::new();
    let mut check = |rule: &str, computed_what: &str, computed, stated_what: &str, stated| {
        if let Some(finding) = compare(rule, computed_what, computed, stated_what, stated) {
            findings.push(finding);
        }
    };
    check(
        "BR-CO-10",
        "the sum of line amounts",
        sum(lines.iter().map(|line| line.amount)),
        "LineExtensionAmount",
        Some(totals.line_extension),
    );
    if allowance_total.is_some() || !allowances.is_empty() {
        check(
            "BR-CO-11",
            "the sum of document allowances",
            sum(allowances.iter().map(|a| a.amount)),
            "AllowanceTotalAmount",
            allowance_total,
        );
    }
    if charge_total.is_some() || !charges.is_empty() {
        check(
            "BR-CO-12",
            "the sum of document charges",
            sum(charges.iter().map(|c| c.amount)),
            "ChargeTotalAmount",
            charge_total,
        );
    }
    check(
        "BR-CO-13",
        "LineExtensionAmount - AllowanceTotalAmount + ChargeTotalAmount",
        totals
            .line_extension
            .checked_sub(totals.allowance_total)
            .and_then(|amount| amount.checked_add(totals.charge_total)),
        "TaxExclusiveAmount",
        Some(totals.tax_exclusive),
    );
    check(
        "BR-CO-15",
        "TaxExclusiveAmount + TaxAmount",
        totals.tax_exclusive.checked_add(tax_total),
        "TaxInclusiveAmount",
        Some(totals.tax_inclusive),
    );
    check(
        "BR-CO-16",
        "TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount",
        totals
            .tax_inclusive
            .checked_sub(totals.prepaid)
            .and_then(|amount| amount.checked_add(totals.payable_rounding)),
        "PayableAmount",
        Some(totals.payable),
    );

    Ok(UblDocument {
        kind,
        number,
        issue_date,
        due_date,
        currency,
        buyer_reference,
        supplier,
        customer,
        totals,
        tax_total,
        vat_breakdown,
        allowances,
        charges,
        lines,
        payments: read_payments(doc),
        payment_terms: doc.text("cac:PaymentTerms/cbc:Note"),
        findings,
    })
}

fn read_payments(doc: &Scope<'_, '_>) -> Vec<Payment> {
    doc.scopes("cac:PaymentMeans")
        .filter_map(|means| {
            let code_node = means.element("cbc:PaymentMeansCode")?;
            Some(Payment {
                code: text_of(code_node),
                name: code_node
                    .attribute("name")
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                reference: means.text("cbc:PaymentID"),
                account: means.text("cac:PayeeFinancialAccount/cbc:ID"),
                account_name: means.text("cac:PayeeFinancialAccount/cbc:Name"),
                provider: means
                    .text("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"),
            })
        })
        .collect()
}

fn read_address(party: &Scope<'_, '_>) -> Option<Address> {
    let at = |field: &str| party.text(&format!("cac:PostalAddress/{field}"));
    let lines: Vec<String> = [
        "cbc:StreetName",
        "cbc:AdditionalStreetName",
        "cac:AddressLine/cbc:Line",
    ]
    .iter()
    .filter_map(|field| at(field))
    .collect();
    let address = Address {
        lines,
        city: at("cbc:CityName"),
        postal_zone: at("cbc:PostalZone"),
        country: at("cac:Country/cbc:IdentificationCode"),
    };
    (address
        != Address {
            lines: Vec::new(),
            city: None,
            postal_zone: None,
            country: None,
        })
    .then_some(address)
}

fn read_party(doc: &Scope<'_, '_>, path: &str) -> Result<Party, UblError> {
    const LEGAL_NAME: &str = "cac:PartyLegalEntity/cbc:RegistrationName";
    let party = doc.required_scope(path)?;
    let name = party
        .text(LEGAL_NAME)
        .or_else(|| party.text("cac:PartyName/cbc:Name"))
        .ok_or_else(|| party.missing(LEGAL_NAME))?;
    let endpoint = party.element("cbc:EndpointID").and_then(|node| {
        let value = text_of(node);
        (!value.is_empty()).then(|| Endpoint {
            scheme_id: node
                .attribute("schemeID")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            value,
        })
    });
    let address = read_address(&party);
    Ok(Party {
        name,
        endpoint,
        address,
    })
}

/// The tax total in the document currency, with its VAT breakdown; a second
/// one, in the tax currency, may accompany it and is ignored.
fn read_tax_total(
    doc: &Scope<'_, '_>,
    currency: &str,
) -> Result<(Decimal, Vec<VatBreakdown>), UblError> {
    for scope in doc.scopes("cac:TaxTotal") {
        let in_currency = scope.element("cbc:TaxAmount").is_some_and(|node| {
            node.attribute("currencyID")
                .is_none_or(|id| id.trim() == currency)
        });
        if in_currency {
            let total = scope.required_amount("cbc:TaxAmount")?;
            let breakdown = scope
                .scopes("cac:TaxSubtotal")
                .map(|subtotal| {
                    Ok(VatBreakdown {
                        category: subtotal.required_text("cac:TaxCategory/cbc:ID")?,
                        percent: subtotal.amount("cac:TaxCategory/cbc:Percent")?,
                        taxable: subtotal.required_amount("cbc:TaxableAmount")?,
                        tax: subtotal.required_amount("cbc:TaxAmount")?,
                        exemption_reason: subtotal
                            .text("cac:TaxCategory/cbc:TaxExemptionReason")
                            .or_else(|| {
                                subtotal.text("cac:TaxCategory/cbc:TaxExemptionReasonCode")
                            }),
                    })
                })
                .collect::<Result<Vec<_>, UblError>>()?;
            return Ok((total, breakdown));
        }
    }
    Err(doc.missing("cac:TaxTotal/cbc:TaxAmount"))
}

fn read_allowance_charge(scope: &Scope<'_, '_>) -> Result<(bool, AllowanceCharge), UblError> {
    const INDICATOR: &str = "cbc:ChargeIndicator";
    let is_charge = match scope.required_text(INDICATOR)?.as_str() {
        "true" | "1" => true,
        "false" | "0" => false,
        other => return Err(scope.invalid(INDICATOR, other, "`true` or `false`")),
    };
    let entry = AllowanceCharge {
        amount: scope.required_amount("cbc:Amount")?,
        reason: scope.text("cbc:AllowanceChargeReason"),
        reason_code: scope.text("cbc:AllowanceChargeReasonCode"),
    };
    Ok((is_charge, entry))
}

fn read_line(line: &Scope<'_, '_>, quantity_name: &str) -> Result<Line, UblError> {
    let quantity = line.required_amount(quantity_name)?;
    let unit_code = line
        .element(quantity_name)
        .and_then(|node| node.attribute("unitCode"))
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .ok_or_else(|| line.missing(&format!("{quantity_name}/@unitCode")))?
        .to_owned();
    Ok(Line {
        id: line.required_text("cbc:ID")?,
        name: line.required_text("cac:Item/cbc:Name")?,
        description: line.text("cac:Item/cbc:Description"),
        quantity,
        unit_code,
        unit_price: line.required_amount("cac:Price/cbc:PriceAmount")?,
        base_quantity: line.amount("cac:Price/cbc:BaseQuantity")?,
        amount: line.required_amount("cbc:LineExtensionAmount")?,
    })
}

/// The finding for a computed amount that differs from the stated one.
/// A missing statement counts as zero.
fn compare(
    rule: &str,
    computed_what: &str,
    computed: Option<Decimal>,
    stated_what: &str,
    stated: Option<Decimal>,
) -> Option<Finding> {
    let message = match (computed, stated) {
        (None, _) => format!("{rule}: {computed_what} is too large to compute exactly"),
        (Some(computed), Some(stated)) if computed == stated => return None,
        (Some(computed), None) if computed.is_zero() => return None,
        (Some(computed), Some(stated)) => {
            format!("{rule}: {computed_what} is {computed} but {stated_what} says {stated}")
        }
        (Some(computed), None) => {
            format!("{rule}: {computed_what} is {computed} but {stated_what} is missing")
        }
    };
    Some(Finding {
        rule: rule.to_owned(),
        message,
    })
}

/// The exact sum, or `None` if it overflows.
fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    amounts
        .into_iter()
        .try_fold(Decimal::ZERO, |total, amount| total.checked_add(amount))
}

/// Reads an `xsd:decimal` exactly: an optional sign, digits and an optional
/// fraction, with no exponent, no grouping and no rounding.
fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let whole = if whole.is_empty() { "0" } else { whole };
    let sign = if negative { "-" } else { "" };
    let normalized = if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    };
    let value = Decimal::from_str(&normalized).ok()?;
    // A fraction longer than Decimal can hold is rounded by the parser;
    // refuse it instead, since amounts must stay exact.
    (usize::try_from(value.scale()).ok() == Some(fraction.len())).then_some(value)
}

/// The concatenated direct text of an element, trimmed.
fn text_of(node: Node<'_, '_>) -> String {
    let text: String = node
        .children()
        .filter(Node::is_text)
        .filter_map(|child| child.text())
        .collect();
    text.trim().to_owned()
}

/// The first child element with a prefixed name such as `cbc:ID`.
fn child<'a, 'input>(node: Node<'a, 'input>, qualified: &str) -> Option<Node<'a, 'input>> {
    children(node, qualified).next()
}

/// The child elements with a prefixed name such as `cac:InvoiceLine`.
fn children<'a, 'input>(
    node: Node<'a, 'input>,
    qualified: &str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    let (namespace, local) = match qualified.split_once(':') {
        Some(("cbc", local)) => (Some(CBC_NS), local),
        Some(("cac", local)) => (Some(CAC_NS), local),
        _ => (None, qualified),
    };
    let local = local.to_owned();
    node.children().filter(move |child| {
        child.is_element()
            && namespace.is_some()
            && child.tag_name().namespace() == namespace
            && child.tag_name().name() == local
    })
}

/// An element together with its path from the root, so that errors can say
/// exactly where the problem is.
struct Scope<'a, 'input> {
    node: Node<'a, 'input>,
    path: String,
}

impl<'a, 'input> Scope<'a, 'input> {
    fn root(node: Node<'a, 'input>) -> Self {
        Scope {
            node,
            path: String::new(),
        }
    }

    fn full_path(&self, relative: &str) -> String {
        if self.path.is_empty() {
            relative.to_owned()
        } else {
            format!("{}/{relative}", self.path)
        }
    }

    fn missing(&self, relative: &str) -> UblError {
        UblError::MissingField {
            path: self.full_path(relative),
        }
    }

    fn invalid(&self, relative: &str, value: &str, expected: &'static str) -> UblError {
        UblError::InvalidField {
            path: self.full_path(relative),
            value: excerpt(value),
            expected,
        }
    }

    /// The element at a `/`-separated path of prefixed names.
    fn element(&self, relative: &str) -> Option<Node<'a, 'input>> {
        relative
            .split('/')
            .try_fold(self.node, |node, name| child(node, name))
    }

    fn required_scope(&self, relative: &str) -> Result<Scope<'a, 'input>, UblError> {
        let node = self
            .element(relative)
            .ok_or_else(|| self.missing(relative))?;
        Ok(Scope {
            node,
            path: self.full_path(relative),
        })
    }

    /// The repeated child elements, numbered from 1 in their paths.
    fn scopes<'s>(&'s self, qualified: &'s str) -> impl Iterator<Item = Scope<'a, 'input>> + 's {
        children(self.node, qualified)
            .enumerate()
            .map(move |(index, node)| Scope {
                node,
                path: self.full_path(&format!("{qualified}[{}]", index + 1)),
            })
    }

    /// The trimmed text at the path; absent and empty are the same.
    fn text(&self, relative: &str) -> Option<String> {
        self.element(relative)
            .map(text_of)
            .filter(|text| !text.is_empty())
    }

    fn required_text(&self, relative: &str) -> Result<String, UblError> {
        self.text(relative).ok_or_else(|| self.missing(relative))
    }

    fn amount(&self, relative: &str) -> Result<Option<Decimal>, UblError> {
        self.text(relative)
            .map(|text| {
                parse_decimal(&text)
                    .ok_or_else(|| self.invalid(relative, &text, "an exact decimal number"))
            })
            .transpose()
    }

    fn required_amount(&self, relative: &str) -> Result<Decimal, UblError> {
        self.amount(relative)?.ok_or_else(|| self.missing(relative))
    }

    fn date(&self, relative: &str) -> Result<Option<Date>, UblError> {
        self.text(relative)
            .map(|text| {
                text.parse()
                    .map_err(|_| self.invalid(relative, &text, "a date of the form YYYY-MM-DD"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::value::{Error as ValueError, StrDeserializer};
    use serde::de::IntoDeserializer;

    const FIXTURES: &[&str] = &[
        "Allowance-example.xml",
        "Vat-category-S.xml",
        "base-creditnote-correction.xml",
        "base-example.xml",
        "base-negative-inv-correction.xml",
        "sales-order-example.xml",
        "vat-category-E.xml",
        "vat-category-O.xml",
        "vat-category-Z.xml",
    ];

    fn fixture(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/peppol/").to_owned() + name;
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    fn fixture_text(name: &str) -> String {
        String::from_utf8(fixture(name)).unwrap()
    }

    fn read_str(text: &str) -> Result<UblDocument, UblError> {
        read_document(text.as_bytes())
    }

    /// `fixture` with `from` replaced by `to`, which must occur exactly once.
    fn edited(name: &str, from: &str, to: &str) -> String {
        let text = fixture_text(name);
        assert_eq!(text.matches(from).count(), 1, "{from} in {name}");
        text.replace(from, to)
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    /// The figures written in a fixture.
    struct Expected {
        kind: DocumentKind,
        number: &'static str,
        issue_date: &'static str,
        due_date: Option<&'static str>,
        currency: &'static str,
        supplier: &'static str,
        customer: &'static str,
        supplier_endpoint: &'static str,
        customer_endpoint: &'static str,
        line_amounts: &'static [&'static str],
        line_extension: &'static str,
        tax_exclusive: &'static str,
        tax_inclusive: &'static str,
        allowance_total: &'static str,
        charge_total: &'static str,
        prepaid: &'static str,
        payable: &'static str,
        tax_total: &'static str,
        allowances: &'static [&'static str],
        charges: &'static [&'static str],
    }

    fn check_fixture(name: &str, expected: &Expected) {
        let document = read_document(&fixture(name)).unwrap();
        assert_eq!(document.findings, [], "{name}");
        assert_eq!(document.kind, expected.kind);
        assert_eq!(document.number, expected.number);
        assert_eq!(document.issue_date, date(expected.issue_date));
        assert_eq!(document.due_date, expected.due_date.map(date));
        assert_eq!(document.currency, expected.currency);
        assert_eq!(document.supplier.name, expected.supplier);
        assert_eq!(document.customer.name, expected.customer);
        let endpoint = |party: &Party| party.endpoint.as_ref().map(ToString::to_string);
        assert_eq!(
            endpoint(&document.supplier).as_deref(),
            Some(expected.supplier_endpoint)
        );
        assert_eq!(
            endpoint(&document.customer).as_deref(),
            Some(expected.customer_endpoint)
        );
        let line_amounts: Vec<Decimal> = document.lines.iter().map(|l| l.amount).collect();
        let expected_amounts: Vec<Decimal> = expected.line_amounts.iter().map(|a| dec(a)).collect();
        assert_eq!(line_amounts, expected_amounts);
        let totals = &document.totals;
        assert_eq!(totals.line_extension, dec(expected.line_extension));
        assert_eq!(totals.tax_exclusive, dec(expected.tax_exclusive));
        assert_eq!(totals.tax_inclusive, dec(expected.tax_inclusive));
        assert_eq!(totals.allowance_total, dec(expected.allowance_total));
        assert_eq!(totals.charge_total, dec(expected.charge_total));
        assert_eq!(totals.prepaid, dec(expected.prepaid));
        assert_eq!(totals.payable_rounding, Decimal::ZERO);
        assert_eq!(totals.payable, dec(expected.payable));
        assert_eq!(document.tax_total, dec(expected.tax_total));
        let amounts = |entries: &[AllowanceCharge]| -> Vec<Decimal> {
            entries.iter().map(|e| e.amount).collect()
        };
        let decimals = |texts: &[&str]| -> Vec<Decimal> { texts.iter().map(|t| dec(t)).collect() };
        assert_eq!(amounts(&document.allowances), decimals(expected.allowances));
        assert_eq!(amounts(&document.charges), decimals(expected.charges));

        let summary = document.summary();
        assert_eq!(summary.n_lines as usize, expected.line_amounts.len());
        assert_eq!(summary.n_findings, 0);
        assert_eq!(summary.payable, dec(expected.payable));
        assert_eq!(&*summary.supplier_name, expected.supplier);
    }

    const BASE: Expected = Expected {
        kind: DocumentKind::Invoice,
        number: "Snippet1",
        issue_date: "2017-11-13",
        due_date: Some("2017-12-01"),
        currency: "EUR",
        supplier: "SupplierOfficialName Ltd",
        customer: "Buyer Official Name",
        supplier_endpoint: "0088:9482348239847239874",
        customer_endpoint: "0002:FR23342",
        line_amounts: &["2800", "-1500"],
        line_extension: "1300",
        tax_exclusive: "1325",
        tax_inclusive: "1656.25",
        allowance_total: "0",
        charge_total: "25",
        prepaid: "0",
        payable: "1656.25",
        tax_total: "331.25",
        allowances: &[],
        charges: &["25"],
    };

    #[test]
    fn fixture_allowance_example() {
        check_fixture(
            "Allowance-example.xml",
            &Expected {
                supplier_endpoint: "0088:7300010000001",
                customer_endpoint: "0002:4598375937",
                line_amounts: &["4000.00", "1000.00", "900.00"],
                line_extension: "5900",
                tax_exclusive: "5900",
                tax_inclusive: "7125",
                allowance_total: "200",
                charge_total: "200",
                prepaid: "1000",
                payable: "6125.00",
                tax_total: "1225.00",
                allowances: &["200"],
                charges: &["200"],
                ..BASE
            },
        );
    }

    #[test]
    fn fixture_vat_category_s() {
        check_fixture(
            "Vat-category-S.xml",
            &Expected {
                supplier_endpoint: "0088:7300010000001",
                line_amounts: &["4000.00", "2000.00", "900.00"],
                line_extension: "6900",
                tax_exclusive: "7000",
                tax_inclusive: "8550",
                allowance_total: "100",
                charge_total: "200",
                payable: "8550",
                tax_total: "1550.00",
                allowances: &["100"],
                charges: &["200"],
                ..BASE
            },
        );
    }

    #[test]
    fn fixture_base_creditnote_correction() {
        check_fixture(
            "base-creditnote-correction.xml",
            &Expected {
                kind: DocumentKind::CreditNote,
                due_date: None,
                ..BASE
            },
        );
    }

    #[test]
    fn fixture_base_example() {
        check_fixture("base-example.xml", &BASE);
    }

    #[test]
    fn fixture_base_negative_inv_correction() {
        check_fixture(
            "base-negative-inv-correction.xml",
            &Expected {
                number: "Correction1",
                line_amounts: &["-2800", "1500"],
                line_extension: "-1300",
                tax_exclusive: "-1325",
                tax_inclusive: "-1656.25",
                charge_total: "-25",
                payable: "-1656.25",
                tax_total: "-331.25",
                charges: &["-25"],
                ..BASE
            },
        );
    }

    #[test]
    fn fixture_sales_order_example() {
        // Despite its name this is an invoice, identical to base-example.xml
        // apart from an order reference carrying a sales order number.
        check_fixture("sales-order-example.xml", &BASE);
    }

    const VAT_Z: Expected = Expected {
        kind: DocumentKind::Invoice,
        number: "Vat-Z",
        issue_date: "2018-08-30",
        due_date: None,
        currency: "GBP",
        supplier: "The Sellercompany Incorporated",
        customer: "The Buyercompany",
        supplier_endpoint: "0088:7300010000001",
        customer_endpoint: "0184:12345678",
        line_amounts: &["1200.00"],
        line_extension: "1200.00",
        tax_exclusive: "1200.00",
        tax_inclusive: "1200.00",
        allowance_total: "0",
        charge_total: "0",
        prepaid: "0",
        payable: "1200.00",
        tax_total: "0.00",
        allowances: &[],
        charges: &[],
    };

    #[test]
    fn fixture_vat_category_e() {
        // The file is a copy of vat-category-Z.xml with category E; even its
        // number (`Vat-Z`) and leading comment were left unchanged.
        check_fixture("vat-category-E.xml", &VAT_Z);
    }

    #[test]
    fn fixture_vat_category_o() {
        check_fixture(
            "vat-category-O.xml",
            &Expected {
                number: "Vat-O",
                currency: "SEK",
                customer_endpoint: "0192:987654325",
                line_amounts: &["3200.00"],
                line_extension: "3200.00",
                tax_exclusive: "3200.00",
                tax_inclusive: "3200.00",
                payable: "3200.00",
                ..VAT_Z
            },
        );
    }

    #[test]
    fn fixture_vat_category_z() {
        check_fixture("vat-category-Z.xml", &VAT_Z);
    }

    #[test]
    fn every_fixture_reads_without_findings() {
        for name in FIXTURES {
            let document = read_document(&fixture(name)).unwrap();
            assert_eq!(document.findings, [], "{name}");
        }
    }

    #[test]
    fn reads_the_addresses_and_the_payment_details() {
        let doc = read_document(&fixture("base-example.xml")).unwrap();
        let supplier = doc.supplier.address.as_ref().expect("an address");
        assert_eq!(supplier.lines, ["Main street 1", "Postbox 123"]);
        assert_eq!(supplier.city.as_deref(), Some("London"));
        assert_eq!(supplier.postal_zone.as_deref(), Some("GB 123 EW"));
        assert_eq!(supplier.country.as_deref(), Some("GB"));
        assert!(doc.customer.address.is_some());
        let [payment] = doc.payments.as_slice() else {
            panic!("one payment means: {:?}", doc.payments)
        };
        assert_eq!(payment.code, "30");
        assert_eq!(payment.name.as_deref(), Some("Credit transfer"));
        assert_eq!(payment.reference.as_deref(), Some("Snippet1"));
        assert_eq!(payment.account.as_deref(), Some("IBAN32423940"));
        assert_eq!(payment.account_name.as_deref(), Some("AccountName"));
        assert_eq!(payment.provider.as_deref(), Some("BIC324098"));
        assert_eq!(
            doc.payment_terms.as_deref(),
            Some("Payment within 10 days, 2% discount")
        );
    }

    #[test]
    fn reads_the_totals_and_the_vat_breakdown() {
        let document = read_document(&fixture("base-example.xml")).unwrap();
        assert_eq!(document.totals.tax_exclusive, dec("1325"));
        assert_eq!(document.totals.tax_inclusive, dec("1656.25"));
        assert_eq!(
            document.vat_breakdown,
            [VatBreakdown {
                category: "S".to_owned(),
                percent: Some(dec("25.0")),
                taxable: dec("1325"),
                tax: dec("331.25"),
                exemption_reason: None,
            }]
        );
        let exempt = read_document(&fixture("vat-category-E.xml")).unwrap();
        assert_eq!(exempt.vat_breakdown.len(), 1);
        assert_eq!(exempt.vat_breakdown[0].category, "E");
        assert_eq!(
            exempt.vat_breakdown[0].exemption_reason.as_deref(),
            Some("VATEX-EU-F")
        );
        // The summary the world keeps carries them as exact decimals.
        let summary = crate::peppol::doc_summary(&document);
        assert_eq!(summary.tax_exclusive.as_deref(), Some("1325"));
        assert_eq!(summary.tax_inclusive.as_deref(), Some("1656.25"));
        assert_eq!(summary.tax_total.as_deref(), Some("331.25"));
        assert_eq!(summary.vat[0].percent.as_deref(), Some("25.0"));
        assert_eq!(summary.payable, "1656.25");
    }

    #[test]
    fn reads_lines_in_detail() {
        let document = read_document(&fixture("base-example.xml")).unwrap();
        assert_eq!(document.buyer_reference.as_deref(), Some("0150abc"));
        assert_eq!(
            document.lines,
            [
                Line {
                    id: "1".to_owned(),
                    name: "item name".to_owned(),
                    description: Some("Description of item".to_owned()),
                    quantity: dec("7"),
                    unit_code: "DAY".to_owned(),
                    unit_price: dec("400"),
                    base_quantity: None,
                    amount: dec("2800"),
                },
                Line {
                    id: "2".to_owned(),
                    name: "item name 2".to_owned(),
                    description: Some("Description 2".to_owned()),
                    quantity: dec("-3"),
                    unit_code: "DAY".to_owned(),
                    unit_price: dec("500"),
                    base_quantity: None,
                    amount: dec("-1500"),
                },
            ]
        );
        assert_eq!(
            document.charges,
            [AllowanceCharge {
                amount: dec("25"),
                reason: Some("Insurance".to_owned()),
                reason_code: None,
            }]
        );

        // Credit notes use CreditNoteLine and CreditedQuantity.
        let credit = read_document(&fixture("base-creditnote-correction.xml")).unwrap();
        assert_eq!(credit.lines, document.lines);

        let allowance = read_document(&fixture("Allowance-example.xml")).unwrap();
        let base_quantities: Vec<Option<Decimal>> =
            allowance.lines.iter().map(|l| l.base_quantity).collect();
        assert_eq!(base_quantities, [Some(dec("1")), Some(dec("2")), None]);
        assert_eq!(allowance.lines[0].unit_code, "C62");
        assert_eq!(allowance.allowances[0].reason.as_deref(), Some("Discount"));
        assert_eq!(allowance.allowances[0].reason_code.as_deref(), Some("95"));
        assert_eq!(allowance.charges[0].reason.as_deref(), Some("Cleaning"));
    }

    #[test]
    fn ignores_the_tax_total_in_tax_currency() {
        // Allowance-example.xml has a second TaxTotal of 9324.00 SEK.
        let text = fixture_text("Allowance-example.xml");
        assert!(text.contains(r#"<cbc:TaxAmount currencyID ="SEK">9324.00</cbc:TaxAmount>"#));
        let document = read_str(&text).unwrap();
        assert_eq!(document.tax_total, dec("1225.00"));
        // The order of the two totals does not matter.
        let swapped = text.replace(
            r#"<cbc:TaxAmount currencyID="EUR">1225.00</cbc:TaxAmount>"#,
            "PLACEHOLDER",
        );
        let swapped = swapped
            .replace(
                r#"<cbc:TaxAmount currencyID ="SEK">9324.00</cbc:TaxAmount>"#,
                r#"<cbc:TaxAmount currencyID="EUR">1225.00</cbc:TaxAmount>"#,
            )
            .replace(
                "PLACEHOLDER",
                r#"<cbc:TaxAmount currencyID ="SEK">9324.00</cbc:TaxAmount>"#,
            );
        assert_eq!(read_str(&swapped).unwrap().tax_total, dec("1225.00"));
    }

    #[test]
    fn keeps_endpoints_raw_and_never_validates_them() {
        let base = read_document(&fixture("base-example.xml")).unwrap();
        // 19 digits: well-formed but not a valid GLN.
        let supplier = base.supplier.participant_id().unwrap();
        assert_eq!(supplier.to_string(), "0088:9482348239847239874");
        assert!(supplier.validate().is_err());
        // 0002 is not a supported scheme.
        assert_eq!(base.customer.participant_id(), None);
        assert_eq!(
            base.customer.endpoint,
            Some(Endpoint {
                scheme_id: "0002".to_owned(),
                value: "FR23342".to_owned()
            })
        );

        let vat_z = read_document(&fixture("vat-category-Z.xml")).unwrap();
        assert!(vat_z.customer.participant_id().unwrap().validate().is_err());
        let vat_o = read_document(&fixture("vat-category-O.xml")).unwrap();
        assert_eq!(vat_o.customer.participant_id().unwrap().validate(), Ok(()));
        assert_eq!(vat_o.supplier.participant_id().unwrap().validate(), Ok(()));
    }

    #[test]
    fn falls_back_to_the_trading_name() {
        let text = edited(
            "base-example.xml",
            "<cbc:RegistrationName>SupplierOfficialName Ltd</cbc:RegistrationName>",
            "",
        );
        let document = read_str(&text).unwrap();
        assert_eq!(document.supplier.name, "SupplierTradingName Ltd.");
    }

    #[test]
    fn credit_note_due_date_comes_from_payment_means() {
        let text = edited(
            "base-creditnote-correction.xml",
            "<cbc:PaymentID>Snippet1</cbc:PaymentID>",
            "<cbc:PaymentDueDate>2017-12-24</cbc:PaymentDueDate><cbc:PaymentID>Snippet1</cbc:PaymentID>",
        );
        assert_eq!(read_str(&text).unwrap().due_date, Some(date("2017-12-24")));
    }

    #[test]
    fn summary_is_compact_and_complete() {
        let document = read_document(&fixture("Allowance-example.xml")).unwrap();
        let summary = document.summary();
        assert_eq!(
            summary,
            DocumentSummary {
                kind: DocumentKind::Invoice,
                number: "Snippet1".into(),
                issue_date: date("2017-11-13"),
                due_date: Some(date("2017-12-01")),
                currency: "EUR".into(),
                supplier_name: "SupplierOfficialName Ltd".into(),
                customer_name: "Buyer Official Name".into(),
                supplier_endpoint: Some("0088:7300010000001".into()),
                customer_endpoint: Some("0002:4598375937".into()),
                payable: dec("6125.00"),
                tax_exclusive: dec("5900"),
                n_lines: 3,
                n_findings: 0,
            }
        );
        assert!(
            std::mem::size_of::<DocumentSummary>() <= 160,
            "{} bytes",
            std::mem::size_of::<DocumentSummary>()
        );
    }

    #[test]
    fn accepts_a_byte_order_mark() {
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(fixture("base-example.xml"));
        assert_eq!(read_document(&bytes).unwrap().number, "Snippet1");
    }

    #[test]
    fn refuses_malformed_xml() {
        for text in ["", "<Invoice", "<a></b>", "not xml at all", "<a/><b/>"] {
            let error = read_str(text).unwrap_err();
            assert_eq!(error.code(), "malformed_xml", "{text:?}: {error}");
        }
        let error = read_str("<Invoice>\n  <a></b>\n</Invoice>").unwrap_err();
        // roxmltree's message carries the line and column.
        assert!(error.to_string().contains("2:"), "{error}");
        let truncated = &fixture("base-example.xml")[..5000];
        assert_eq!(
            read_document(truncated).unwrap_err().code(),
            "malformed_xml"
        );
    }

    #[test]
    fn refuses_text_that_is_not_utf8() {
        let error = read_document(&[b'<', b'a', 0xff, b'/', b'>']).unwrap_err();
        assert_eq!(error.code(), "malformed_xml");
        assert!(error.to_string().contains("not UTF-8"), "{error}");
        // UTF-16 is not accepted either.
        let utf16: Vec<u8> = "<a/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(read_document(&utf16).unwrap_err().code(), "malformed_xml");
    }

    #[test]
    fn refuses_document_type_declarations() {
        let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>"#;
        let external = r#"<?xml version="1.0"?>
<!DOCTYPE Invoice [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"#;
        let lowercase = "<!doctype html><html/>";
        let bare_entity = "<a><!ENTITY x \"y\"></a>";
        for text in [billion_laughs, external, lowercase, bare_entity] {
            let error = read_str(text).unwrap_err();
            assert_eq!(error, UblError::DtdForbidden, "{text}");
            assert_eq!(error.code(), "dtd_forbidden");
        }
        // A DTD in front of a real invoice is refused as well.
        let text = fixture_text("base-example.xml").replacen(
            "<Invoice",
            "<!DOCTYPE Invoice SYSTEM \"http://example.com/invoice.dtd\">\n<Invoice",
            1,
        );
        assert_eq!(read_str(&text).unwrap_err(), UblError::DtdForbidden);
    }

    #[test]
    fn parser_dtd_errors_map_to_dtd_forbidden() {
        // The pre-check stops DTDs first, so check the parser's own refusal
        // directly: the options used by read_document must refuse DTDs.
        let options = ParsingOptions {
            allow_dtd: false,
            ..ParsingOptions::default()
        };
        let error = Document::parse_with_options("<!DOCTYPE a><a/>", options).unwrap_err();
        assert!(matches!(error, roxmltree::Error::DtdDetected), "{error}");
    }

    #[test]
    fn refuses_oversized_documents() {
        let bytes = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        let error = read_document(&bytes).unwrap_err();
        assert_eq!(
            error,
            UblError::TooLarge {
                size: MAX_DOCUMENT_BYTES + 1,
                limit: MAX_DOCUMENT_BYTES
            }
        );
        assert_eq!(error.code(), "too_large");
    }

    #[test]
    fn refuses_deep_nesting() {
        for depth in [MAX_DEPTH, 100_000] {
            let text = format!(
                "<Invoice xmlns=\"{INVOICE_NS}\">{}{}</Invoice>",
                "<a>".repeat(depth),
                "</a>".repeat(depth)
            );
            let error = read_str(&text).unwrap_err();
            assert_eq!(error.code(), "too_deep", "{depth}: {error}");
        }
        // At the limit, counting the root, reading proceeds to the fields.
        let text = format!(
            "<Invoice xmlns=\"{INVOICE_NS}\">{}{}</Invoice>",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(read_str(&text).unwrap_err().code(), "missing_field");
    }

    #[test]
    fn refuses_other_roots() {
        let cases = [
            ("<html/>", "`html`"),
            (
                "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>",
                "`{urn:oasis:names:specification:ubl:schema:xsd:Order-2}Order`",
            ),
            ("<Invoice/>", "`Invoice`"),
            (
                "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"/>",
                "CreditNote-2}Invoice`",
            ),
        ];
        for (text, found) in cases {
            let error = read_str(text).unwrap_err();
            assert_eq!(error.code(), "not_ubl");
            assert!(error.to_string().contains(found), "{error}");
        }
    }

    #[test]
    fn refuses_missing_fields() {
        let cases = [
            (
                "<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>",
                "",
                "cac:LegalMonetaryTotal/cbc:PayableAmount",
            ),
            (
                "<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>",
                "<cbc:PayableAmount currencyID=\"EUR\"> </cbc:PayableAmount>",
                "cac:LegalMonetaryTotal/cbc:PayableAmount",
            ),
            (
                "<cbc:ID>Snippet1</cbc:ID>\n    <cbc:IssueDate>",
                "<cbc:IssueDate>",
                "cbc:ID",
            ),
            (
                "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
                "",
                "cbc:DocumentCurrencyCode",
            ),
            (
                "<cbc:InvoicedQuantity unitCode=\"DAY\">7</cbc:InvoicedQuantity>",
                "<cbc:InvoicedQuantity>7</cbc:InvoicedQuantity>",
                "cac:InvoiceLine[1]/cbc:InvoicedQuantity/@unitCode",
            ),
            (
                "<cbc:Name>item name 2</cbc:Name>",
                "",
                "cac:InvoiceLine[2]/cac:Item/cbc:Name",
            ),
            (
                "<cbc:TaxAmount currencyID=\"EUR\">331.25</cbc:TaxAmount>\n        <cac:TaxSubtotal>",
                "<cbc:TaxAmount currencyID=\"USD\">331.25</cbc:TaxAmount>\n        <cac:TaxSubtotal>",
                "cac:TaxTotal/cbc:TaxAmount",
            ),
            (
                "<cbc:RegistrationName>Buyer Official Name</cbc:RegistrationName>",
                "",
                "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
            ),
        ];
        for (from, to, path) in cases {
            let mut text = edited("base-example.xml", from, to);
            if path.ends_with("RegistrationName") {
                text = text.replace("<cbc:Name>BuyerTradingName AS</cbc:Name>", "");
            }
            let error = read_str(&text).unwrap_err();
            assert_eq!(
                error,
                UblError::MissingField {
                    path: path.to_owned()
                }
            );
            assert_eq!(error.code(), "missing_field");
            assert_eq!(
                error.to_string(),
                format!("the required element `{path}` is missing")
            );
        }
    }

    #[test]
    fn refuses_a_document_without_lines() {
        let text = fixture_text("vat-category-O.xml");
        let start = text.find("<cac:InvoiceLine>").unwrap();
        let end = text.rfind("</cac:InvoiceLine>").unwrap() + "</cac:InvoiceLine>".len();
        let text = format!("{}{}", &text[..start], &text[end..]);
        assert_eq!(
            read_str(&text).unwrap_err(),
            UblError::MissingField {
                path: "cac:InvoiceLine".to_owned()
            }
        );
    }

    #[test]
    fn refuses_invalid_fields() {
        let payable = "<cbc:PayableAmount currencyID=\"EUR\">1656.25</cbc:PayableAmount>";
        let cases = [
            (
                payable,
                "<cbc:PayableAmount currencyID=\"EUR\">1,656.25</cbc:PayableAmount>",
                "cac:LegalMonetaryTotal/cbc:PayableAmount",
                "1,656.25",
            ),
            (
                payable,
                "<cbc:PayableAmount currencyID=\"EUR\">1.65625e3</cbc:PayableAmount>",
                "cac:LegalMonetaryTotal/cbc:PayableAmount",
                "1.65625e3",
            ),
            (
                payable,
                "<cbc:PayableAmount currencyID=\"EUR\">NaN</cbc:PayableAmount>",
                "cac:LegalMonetaryTotal/cbc:PayableAmount",
                "NaN",
            ),
            (
                "<cbc:IssueDate>2017-11-13</cbc:IssueDate>",
                "<cbc:IssueDate>2017-02-30</cbc:IssueDate>",
                "cbc:IssueDate",
                "2017-02-30",
            ),
            (
                "<cbc:DueDate>2017-12-01</cbc:DueDate>",
                "<cbc:DueDate>01.12.2017</cbc:DueDate>",
                "cbc:DueDate",
                "01.12.2017",
            ),
            (
                "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
                "<cbc:DocumentCurrencyCode>euro</cbc:DocumentCurrencyCode>",
                "cbc:DocumentCurrencyCode",
                "euro",
            ),
            (
                "<cbc:ChargeIndicator>true</cbc:ChargeIndicator>",
                "<cbc:ChargeIndicator>yes</cbc:ChargeIndicator>",
                "cac:AllowanceCharge[1]/cbc:ChargeIndicator",
                "yes",
            ),
            (
                "<cbc:PriceAmount currencyID=\"EUR\">500</cbc:PriceAmount>",
                "<cbc:PriceAmount currencyID=\"EUR\">five hundred</cbc:PriceAmount>",
                "cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount",
                "five hundred",
            ),
        ];
        for (from, to, path, value) in cases {
            let error = read_str(&edited("base-example.xml", from, to)).unwrap_err();
            assert!(
                matches!(&error, UblError::InvalidField { path: p, value: v, .. } if p == path && v == value),
                "{error:?}"
            );
            assert_eq!(error.code(), "invalid_field");
            assert!(error.to_string().contains(&format!("`{value}`")), "{error}");
        }
    }

    #[test]
    fn flags_a_tampered_line_amount() {
        let text = edited(
            "base-example.xml",
            "<cbc:LineExtensionAmount currencyID= \"EUR\">2800</cbc:LineExtensionAmount>",
            "<cbc:LineExtensionAmount currencyID= \"EUR\">2800.10</cbc:LineExtensionAmount>",
        );
        let document = read_str(&text).unwrap();
        assert_eq!(
            document.findings,
            [Finding {
                rule: "BR-CO-10".to_owned(),
                message: "BR-CO-10: the sum of line amounts is 1300.10 but \
                          LineExtensionAmount says 1300"
                    .to_owned()
            }]
        );
        assert_eq!(document.summary().n_findings, 1);
    }

    fn rules(text: &str) -> Vec<String> {
        read_str(text)
            .unwrap()
            .findings
            .into_iter()
            .map(|finding| finding.rule)
            .collect()
    }

    #[test]
    fn flags_each_totals_rule() {
        let name = "Allowance-example.xml";
        let cases = [
            (
                "<cbc:AllowanceTotalAmount currencyID=\"EUR\">200</cbc:AllowanceTotalAmount>",
                "<cbc:AllowanceTotalAmount currencyID=\"EUR\">300</cbc:AllowanceTotalAmount>",
                &["BR-CO-11", "BR-CO-13"][..],
            ),
            (
                "<cbc:AllowanceTotalAmount currencyID=\"EUR\">200</cbc:AllowanceTotalAmount>",
                "",
                &["BR-CO-11", "BR-CO-13"][..],
            ),
            (
                "<cbc:ChargeTotalAmount currencyID=\"EUR\">200</cbc:ChargeTotalAmount>",
                "<cbc:ChargeTotalAmount currencyID=\"EUR\">100</cbc:ChargeTotalAmount>",
                &["BR-CO-12", "BR-CO-13"][..],
            ),
            (
                "<cbc:TaxExclusiveAmount currencyID=\"EUR\">5900</cbc:TaxExclusiveAmount>",
                "<cbc:TaxExclusiveAmount currencyID=\"EUR\">5901</cbc:TaxExclusiveAmount>",
                &["BR-CO-13", "BR-CO-15"][..],
            ),
            (
                "<cbc:TaxAmount currencyID=\"EUR\">1225.00</cbc:TaxAmount>",
                "<cbc:TaxAmount currencyID=\"EUR\">1225.01</cbc:TaxAmount>",
                &["BR-CO-15"][..],
            ),
            (
                "<cbc:PrepaidAmount currencyID=\"EUR\">1000</cbc:PrepaidAmount>",
                "<cbc:PrepaidAmount currencyID=\"EUR\">999.99</cbc:PrepaidAmount>",
                &["BR-CO-16"][..],
            ),
            (
                "<cbc:PayableAmount currencyID=\"EUR\">6125.00</cbc:PayableAmount>",
                "<cbc:PayableRoundingAmount currencyID=\"EUR\">0.01</cbc:PayableRoundingAmount><cbc:PayableAmount currencyID=\"EUR\">6125.00</cbc:PayableAmount>",
                &["BR-CO-16"][..],
            ),
        ];
        for (from, to, expected) in cases {
            assert_eq!(rules(&edited(name, from, to)), expected, "{to}");
        }
        let missing = read_str(&edited(
            name,
            "<cbc:AllowanceTotalAmount currencyID=\"EUR\">200</cbc:AllowanceTotalAmount>",
            "",
        ))
        .unwrap();
        assert_eq!(
            missing.findings[0].message,
            "BR-CO-11: the sum of document allowances is 200 but AllowanceTotalAmount is missing"
        );
        assert_eq!(
            missing.findings[1].message,
            "BR-CO-13: LineExtensionAmount - AllowanceTotalAmount + ChargeTotalAmount \
             is 6100 but TaxExclusiveAmount says 5900"
        );
    }

    #[test]
    fn reports_sums_too_large_to_compute() {
        let big = "79228162514264337593543950335";
        let text = fixture_text("vat-category-O.xml");
        let line_start = text.find("<cac:InvoiceLine>").unwrap();
        let line_end = text.rfind("</cac:InvoiceLine>").unwrap() + "</cac:InvoiceLine>".len();
        let line = text[line_start..line_end].replace(
            ">3200.00</cbc:LineExtensionAmount>",
            &format!(">{big}</cbc:LineExtensionAmount>"),
        );
        let text = format!("{}{line}{line}{}", &text[..line_start], &text[line_end..]);
        let document = read_str(&text).unwrap();
        assert_eq!(document.lines.len(), 2);
        assert_eq!(
            document.findings[0].message,
            "BR-CO-10: the sum of line amounts is too large to compute exactly"
        );
    }

    #[test]
    fn decimals_are_read_exactly() {
        for (text, expected) in [
            ("1", "1"),
            ("-1.50", "-1.50"),
            ("+2", "2"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0001656.250", "1656.250"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "0.1234567890123456789012345678",
                "0.1234567890123456789012345678",
            ),
        ] {
            let value = parse_decimal(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(value.to_string(), expected, "{text}");
        }
        for text in [
            "",
            "-",
            "+",
            ".",
            "1e3",
            "1,0",
            " 1",
            "1_000",
            "--1",
            "1.2.3",
            "0x10",
            "NaN",
            "∞",
            "0.12345678901234567890123456789",
            "79228162514264337593543950336",
        ] {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }

    #[test]
    fn dates_are_validated() {
        assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
        assert_eq!(date("2000-02-29").day(), 29);
        let parsed = date("0001-12-31");
        assert_eq!((parsed.year(), parsed.month(), parsed.day()), (1, 12, 31));
        for text in [
            "2023-02-29",
            "1900-02-29",
            "2017-13-01",
            "2017-00-10",
            "2017-04-31",
            "0000-01-01",
            "2017-1-01",
            "2017-11-13Z",
            "20171113",
            "2017/11/13",
            "",
            "２０１７-11-13",
        ] {
            let error = text.parse::<Date>().unwrap_err();
            assert_eq!(error.code(), "invalid_date");
            assert!(error.to_string().contains(&format!("`{text}`")));
        }
        assert!(date("2017-11-13") < date("2017-12-01"));
        let deserializer: StrDeserializer<'_, ValueError> = "2017-11-13".into_deserializer();
        assert_eq!(Date::deserialize(deserializer).unwrap(), date("2017-11-13"));
        let deserializer: StrDeserializer<'_, ValueError> = "2017-11-31".into_deserializer();
        assert!(Date::deserialize(deserializer).is_err());
    }

    /// `text` with the amount of line `index` (modulo the line count)
    /// increased by `delta`, located through the parsed tree so that only
    /// that text changes. Returns the edited text and the line count.
    fn change_line_amount(text: &str, index: usize, delta: Decimal) -> String {
        let tree = Document::parse(text).unwrap();
        let lines: Vec<Node<'_, '_>> = tree
            .root_element()
            .children()
            .filter(|n| matches!(n.tag_name().name(), "InvoiceLine" | "CreditNoteLine"))
            .collect();
        let line = lines[index % lines.len()];
        let amount = line
            .children()
            .find(|n| n.tag_name().name() == "LineExtensionAmount")
            .unwrap();
        let text_node = amount.first_child().unwrap();
        let range = text_node.range();
        let new_value = dec(text_node.text().unwrap().trim()) + delta;
        format!("{}{new_value}{}", &text[..range.start], &text[range.end..])
    }

    fn mutation() -> impl Strategy<Value = (u8, prop::sample::Index, u8)> {
        (0u8..3, any::<prop::sample::Index>(), any::<u8>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read_document(&bytes);
        }

        #[test]
        fn xml_like_text_never_panics(text in "(<[a-zA-Z:]{1,8}( [a-z:]{1,5}=\"[^\"<]{0,5}\")?/?>|</[a-zA-Z:]{1,8}>|[^<]{0,8}|<!|<\\?|&[a-z]{1,4};){0,40}") {
            let _ = read_str(&text);
        }

        #[test]
        fn mutated_fixtures_never_panic(
            name in prop::sample::select(FIXTURES),
            mutations in prop::collection::vec(mutation(), 1..5),
        ) {
            let mut bytes = fixture(name);
            for (kind, index, byte) in mutations {
                let at = index.index(bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] ^= byte | 1,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => { bytes.remove(at); }
                    _ => {}
                }
            }
            if let Ok(document) = read_document(&bytes) {
                let _ = document.summary();
            }
        }

        #[test]
        fn changed_line_amounts_are_flagged(
            name in prop::sample::select(FIXTURES),
            index in 0usize..8,
            cents in (-10_000_000i64..10_000_000).prop_filter("nonzero", |c| *c != 0),
        ) {
            let text = change_line_amount(&fixture_text(name), index, Decimal::new(cents, 2));
            let document = read_str(&text).unwrap();
            prop_assert!(
                document.findings.iter().any(|f| f.rule == "BR-CO-10"),
                "{:?}", document.findings
            );
        }
    }
}
