//! An invoice as its file says it: read in the browser by the same UBL reader the
//! server uses, from the stored bytes.

use leptos::prelude::*;
use preflight_core::peppol::{read_document, DocumentKind, Party, UblDocument};
use preflight_core::DocumentId;
use rust_decimal::Decimal;

use crate::session::use_session;

fn money(amount: Decimal, currency: &str) -> String {
    format!("{:.2} {currency}", amount.round_dp(2))
}

fn party_view(role: &'static str, party: &Party) -> impl IntoView {
    let endpoint = party
        .endpoint
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "no Peppol address".to_string());
    let testid = format!("invoice-{}", role.to_lowercase());
    let address = party.address.as_ref().map(|a| {
        let place = [a.postal_zone.as_deref(), a.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let lines = a
            .lines
            .iter()
            .cloned()
            .chain((!place.is_empty()).then_some(place))
            .chain(a.country.clone())
            .map(|line| view! { <span class="address-line">{line}</span> })
            .collect_view();
        view! { <dd class="address" data-testid=format!("{testid}-address")>{lines}</dd> }
    });
    view! {
        <div class="party">
            <dt>{role}</dt>
            <dd data-testid=testid>{party.name.clone()}</dd>
            {address}
            <dd class="hint"><code>{endpoint}</code></dd>
        </div>
    }
}

/// How to pay: the means, the account and the reference to quote, and the terms.
fn payment_view(document: &UblDocument) -> impl IntoView {
    let due = document.due_date.map(|d| d.to_string());
    let means = document
        .payments
        .iter()
        .map(|p| {
            let means = p.name.clone().unwrap_or_else(|| format!("Payment means {}", p.code));
            let field = |label: &'static str, value: &Option<String>, testid: &'static str| {
                value.clone().map(|value| view! {
                    <div><dt>{label}</dt><dd data-testid=testid><code>{value}</code></dd></div>
                })
            };
            view! {
                <dl class="fields payment" data-testid="invoice-payment">
                    <div><dt>"Means"</dt><dd>{means}</dd></div>
                    {field("Account (IBAN)", &p.account, "invoice-iban")}
                    {p.account_name.clone().map(|name| view! { <div><dt>"Account holder"</dt><dd>{name}</dd></div> })}
                    {field("Bank (BIC)", &p.provider, "invoice-bic")}
                    {field("Reference", &p.reference, "invoice-reference")}
                </dl>
            }
        })
        .collect_view();
    let nothing = document.payments.is_empty() && document.payment_terms.is_none() && due.is_none();
    (!nothing).then(|| view! {
        <section class="payment-details" aria-labelledby="payment-heading">
            <h3 id="payment-heading">"Payment"</h3>
            {due.map(|due| view! { <p data-testid="invoice-due">"Due " <strong>{due}</strong></p> })}
            {means}
            {document.payment_terms.clone().map(|terms| view! { <p class="hint" data-testid="invoice-terms">{terms}</p> })}
        </section>
    })
}

/// The whole invoice: parties, dates, lines, totals, and the rules it breaks.
fn invoice_view(document: &UblDocument) -> AnyView {
    let currency = document.currency.clone();
    let kind = match document.kind {
        DocumentKind::Invoice => "Invoice",
        DocumentKind::CreditNote => "Credit note",
    };
    let lines = document
        .lines
        .iter()
        .map(|line| {
            let description = match &line.description {
                Some(description) if description != &line.name => {
                    format!("{}: {description}", line.name)
                }
                _ => line.name.clone(),
            };
            view! {
                <tr data-testid="invoice-line">
                    <td>{line.id.clone()}</td>
                    <td>{description}</td>
                    <td class="num">{line.quantity.normalize().to_string()} " " <abbr title="unit code">{line.unit_code.clone()}</abbr></td>
                    <td class="num">{money(line.unit_price, &currency)}</td>
                    <td class="num">{money(line.amount, &currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let totals = &document.totals;
    let mut rows = vec![("Lines", totals.line_extension, "")];
    if !totals.allowance_total.is_zero() {
        rows.push(("Allowances", -totals.allowance_total, ""));
    }
    if !totals.charge_total.is_zero() {
        rows.push(("Charges", totals.charge_total, ""));
    }
    rows.push(("Excluding tax", totals.tax_exclusive, ""));
    rows.push(("Tax", document.tax_total, ""));
    rows.push(("Including tax", totals.tax_inclusive, ""));
    if !totals.prepaid.is_zero() {
        rows.push(("Prepaid", -totals.prepaid, ""));
    }
    if !totals.payable_rounding.is_zero() {
        rows.push(("Rounding", totals.payable_rounding, ""));
    }
    rows.push(("Payable", totals.payable, "invoice-payable"));
    let totals_view = rows
        .into_iter()
        .map(|(label, amount, testid)| {
            let class = if testid.is_empty() { "" } else { "total" };
            view! {
                <div class=class>
                    <dt>{label}</dt>
                    <dd class="num" data-testid=testid>{money(amount, &currency)}</dd>
                </div>
            }
        })
        .collect_view();
    let vat_rows = document
        .vat_breakdown
        .iter()
        .map(|line| {
            let rate = line
                .percent
                .map_or_else(|| "—".to_string(), |p| format!("{}%", p.normalize()));
            let category = match &line.exemption_reason {
                Some(reason) => format!("{} ({reason})", line.category),
                None => line.category.clone(),
            };
            view! {
                <tr data-testid="invoice-vat">
                    <td>{category}</td>
                    <td class="num">{rate}</td>
                    <td class="num">{money(line.taxable, &currency)}</td>
                    <td class="num">{money(line.tax, &currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let findings = if document.findings.is_empty() {
        view! { <p class="notice success" data-testid="invoice-adds-up">"The figures add up."</p> }
            .into_any()
    } else {
        let items = document
            .findings
            .iter()
            .map(|f| view! { <li><strong>{f.rule.clone()}</strong> ": " {f.message.clone()}</li> })
            .collect_view();
        view! {
            <div class="notice warning" data-testid="invoice-findings">
                <p>"Kept, but its figures do not add up:"</p>
                <ul>{items}</ul>
            </div>
        }
        .into_any()
    };
    let due = document
        .due_date
        .map_or_else(|| "not stated".to_string(), |d| d.to_string());
    view! {
        <dl class="fields" data-testid="invoice-fields">
            <div><dt>"Kind"</dt><dd data-testid="invoice-kind">{kind}</dd></div>
            <div><dt>"Number"</dt><dd data-testid="invoice-number">{document.number.clone()}</dd></div>
            <div><dt>"Issued"</dt><dd>{document.issue_date.to_string()}</dd></div>
            <div><dt>"Due"</dt><dd>{due}</dd></div>
            {party_view("Supplier", &document.supplier)}
            {party_view("Customer", &document.customer)}
        </dl>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Invoice lines">
            <table class="lines" data-testid="invoice-lines">
                <caption class="visually-hidden">"Invoice lines"</caption>
                <thead>
                    <tr><th scope="col">"#"</th><th scope="col">"Item"</th><th scope="col" class="num">"Quantity"</th><th scope="col" class="num">"Unit price"</th><th scope="col" class="num">"Amount"</th></tr>
                </thead>
                <tbody>{lines}</tbody>
            </table>
        </div>
        <div class="table-scroll" tabindex="0" role="region" aria-label="VAT breakdown">
            <table class="lines" data-testid="invoice-vat-breakdown">
                <caption class="visually-hidden">"VAT breakdown"</caption>
                <thead>
                    <tr><th scope="col">"VAT category"</th><th scope="col" class="num">"Rate"</th><th scope="col" class="num">"Taxable"</th><th scope="col" class="num">"VAT"</th></tr>
                </thead>
                <tbody>{vat_rows}</tbody>
            </table>
        </div>
        <dl class="totals" data-testid="invoice-totals">{totals_view}</dl>
        {payment_view(document)}
        {findings}
    }
    .into_any()
}

/// Fetches a document's bytes and shows them as an invoice when they are one.
#[component]
pub fn InvoiceContent(document: DocumentId) -> impl IntoView {
    let session = use_session();
    let content = LocalResource::new(move || session.document_content(document));
    move || match content.get() {
        None => view! { <p class="loading" data-testid="invoice-loading">"Reading the file…"</p> }
            .into_any(),
        Some(Err(error)) => view! {
            <p class="error" role="alert" data-testid="invoice-error">
                "Could not fetch the file: " {error.message()}
            </p>
        }
        .into_any(),
        Some(Ok(bytes)) => match read_document(&bytes) {
            Ok(document) => invoice_view(&document),
            Err(error) => view! {
                <p class="hint" data-testid="invoice-unreadable">
                    "This file is not an invoice the platform can read (" {error.to_string()} ")."
                </p>
            }
            .into_any(),
        },
    }
}
