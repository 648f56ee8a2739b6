//! Real Peppol BIS Billing 3.0 invoices for the demo world.
//!
//! The demo uploads UBL files that the platform's own reader reads, so the
//! document page, the stored bytes and the world's summaries all come from one
//! source, as they do for a customer's files. The figures add up by
//! construction: lines at 21 % VAT, totals computed with exact decimals.

use rust_decimal::Decimal;

/// What an invoice says, before it is written as UBL.
#[derive(Clone, Debug)]
pub struct InvoiceSpec<'a> {
    pub number: &'a str,
    /// `YYYY-MM-DD`.
    pub issue_date: &'a str,
    /// `YYYY-MM-DD`.
    pub due_date: &'a str,
    pub supplier: InvoiceParty<'a>,
    pub customer: InvoiceParty<'a>,
    /// `(description, quantity, unit price in cents)`.
    pub lines: Vec<(&'a str, u32, i64)>,
}

/// A party as the invoice names it.
#[derive(Clone, Copy, Debug)]
pub struct InvoiceParty<'a> {
    pub name: &'a str,
    /// `scheme:value`, as Peppol addresses it.
    pub endpoint: &'a str,
    pub city: &'a str,
}

/// What the demo sells: a description and a unit price in cents.
pub(crate) const CATALOGUE: [(&str, i64); 8] = [
    ("Bookkeeping, monthly", 18_500),
    ("Consulting hours", 9_500),
    ("Office supplies", 2_375),
    ("Delivery", 1_250),
    ("Software licence", 4_900),
    ("Maintenance visit", 12_000),
    ("Training day", 65_000),
    ("Printed brochures", 35),
];

const VAT_PERCENT: i64 = 21;

fn cents(amount: i64) -> Decimal {
    Decimal::new(amount, 2)
}

/// Escapes text for an XML element or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn party(role: &str, party: &InvoiceParty<'_>) -> String {
    let (scheme, value) = party
        .endpoint
        .split_once(':')
        .unwrap_or(("0088", party.endpoint));
    format!(
        r#"  <cac:{role}>
    <cac:Party>
      <cbc:EndpointID schemeID="{scheme}">{value}</cbc:EndpointID>
      <cac:PartyName><cbc:Name>{name}</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:CityName>{city}</cbc:CityName>
        <cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:{role}>
"#,
        scheme = escape(scheme),
        value = escape(value),
        name = escape(party.name),
        city = escape(party.city),
    )
}

/// Writes `spec` as a UBL 2.1 invoice following Peppol BIS Billing 3.0.
pub fn invoice_xml(spec: &InvoiceSpec<'_>) -> String {
    let amounts: Vec<Decimal> = spec
        .lines
        .iter()
        .map(|&(_, quantity, price)| cents(price) * Decimal::from(quantity))
        .collect();
    let line_extension: Decimal = amounts.iter().copied().sum();
    let tax = (line_extension * Decimal::new(VAT_PERCENT, 2)).round_dp(2);
    let inclusive = line_extension + tax;
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issue}</cbc:IssueDate>
  <cbc:DueDate>{due}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>{number}</cbc:BuyerReference>
{supplier}{customer}  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{line_extension}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{VAT_PERCENT}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{line_extension}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{line_extension}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{inclusive}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{inclusive}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
"#,
        number = escape(spec.number),
        issue = escape(spec.issue_date),
        due = escape(spec.due_date),
        supplier = party("AccountingSupplierParty", &spec.supplier),
        customer = party("AccountingCustomerParty", &spec.customer),
    );
    for (index, (&(description, quantity, price), amount)) in
        spec.lines.iter().zip(&amounts).enumerate()
    {
        xml.push_str(&format!(
            r#"  <cac:InvoiceLine>
    <cbc:ID>{id}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">{quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>{name}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{VAT_PERCENT}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
"#,
            id = index + 1,
            name = escape(description),
            price = cents(price),
        ));
    }
    xml.push_str("</Invoice>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peppol::read_document;

    #[test]
    fn generated_invoices_read_back_with_figures_that_add_up() {
        let spec = InvoiceSpec {
            number: "INV-00042",
            issue_date: "2026-09-01",
            due_date: "2026-10-01",
            supplier: InvoiceParty {
                name: "Bakery & Sons <BV>",
                endpoint: "0106:12345678",
                city: "Utrecht",
            },
            customer: InvoiceParty {
                name: "Acme Accountants",
                endpoint: "0088:8712345678906",
                city: "Amsterdam",
            },
            lines: vec![("Consulting hours", 3, 9_500), ("Printed brochures", 7, 35)],
        };
        let document = read_document(invoice_xml(&spec).as_bytes()).unwrap();
        assert_eq!(document.number, "INV-00042");
        assert_eq!(document.supplier.name, "Bakery & Sons <BV>");
        assert_eq!(document.lines.len(), 2);
        assert_eq!(document.totals.line_extension, Decimal::new(28_745, 2));
        // 287.45 × 21 % = 60.3645, rounded to 60.36.
        assert_eq!(document.tax_total, Decimal::new(6_036, 2));
        assert_eq!(document.totals.payable, Decimal::new(34_781, 2));
        assert!(document.findings.is_empty(), "{:?}", document.findings);
    }
}
