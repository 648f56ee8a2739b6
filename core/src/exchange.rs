//! Sending and receiving e-invoices (DOMAIN §6): the recipient, the credit
//! each transaction costs, and delivery into the recipient's inbox.

use crate::access::{Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn send_document(
        &mut self,
        document: DocumentId,
        to: String,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        self.require(Action::Edit, Resource::Document(document))?;
        let doc = self.document(document)?;
        if doc.doc_box != DocBox::InboxOut {
            return Err(CommandError::invalid(
                "document",
                "only documents in Inbox OUT can be sent",
            ));
        }
        let org = self.organisation(doc.organisation)?;
        if org.status != OrgStatus::Active {
            return Err(not_permitted(format!(
                "{} is not active on Peppol: activate it before sending",
                org.name
            )));
        }
        // No participant has an identifier with a wrong check digit: refused
        // from the input alone, before anything the projection may lack.
        let to = valid_participant(&to)?;
        // The sender pays first: nothing happens without enough credit.
        let mut events = Vec::new();
        if self.hidden(org.cost_bearer) {
            self.note(Unconfirmed::CostBearerCredit {
                environment: org.cost_bearer,
            });
        } else {
            let bearer = self.environment(org.cost_bearer)?;
            if bearer.credit < 1 {
                // A partner bearing the costs keeps its figures to itself.
                let own = self.me().is_ok_and(|me| me.environment == bearer.id);
                return Err(CommandError::InsufficientCredit(if own {
                    format!(
                        "{} has {} transaction credit; sending needs 1",
                        bearer.name, bearer.credit
                    )
                } else {
                    format!(
                        "{}, which bears the costs of {}, has too little transaction credit; sending needs 1",
                        self.env_name(bearer.id),
                        org.name
                    )
                }));
            }
        }
        let delivered_as: DocumentId = self.id()?;
        let recipient = self
            .world
            .registered(&to)
            .filter(|o| o.status == OrgStatus::Active);
        let Some(recipient) = recipient else {
            if self.world.viewer.is_some() {
                self.note(Unconfirmed::RecipientRegistered {
                    participant_id: to.clone(),
                });
                events.push(Event::DocumentSent {
                    document,
                    to,
                    delivered_as,
                    at: now,
                });
                events.push(self.charge(org, -1, LedgerReason::Sent { document }));
                return Ok(events);
            }
            return Err(CommandError::UnknownRecipient(format!(
                "no active organisation is registered on Peppol as `{to}`; nothing was sent or charged"
            )));
        };
        events.push(Event::DocumentSent {
            document,
            to: to.clone(),
            delivered_as,
            at: now,
        });
        events.push(self.charge(org, -1, LedgerReason::Sent { document }));
        events.extend(self.deliver(
            recipient,
            delivered_as,
            doc.name.clone(),
            doc.sha256,
            doc.size,
            doc.summary.clone(),
        ));
        Ok(events)
    }

    pub(crate) fn receive_document(
        &mut self,
        to: String,
        name: String,
        sha256: Sha256,
        size: u64,
        summary: Option<DocSummary>,
    ) -> Result<Vec<Event>, CommandError> {
        self.platform(Action::ReceiveFromNetwork)?;
        let to = well_formed_participant(&to)?;
        let name = clean_name("name", &name)?;
        let recipient = self
            .world
            .registered(&to)
            .filter(|o| o.status == OrgStatus::Active)
            .ok_or_else(|| {
                CommandError::UnknownRecipient(format!(
                    "no active organisation is registered on Peppol as `{to}`"
                ))
            })?;
        let document = self.id()?;
        Ok(self.deliver(
            recipient,
            document,
            name,
            sha256,
            size,
            summary.map(Box::new),
        ))
    }

    pub(crate) fn charge(&self, org: &Organisation, amount: i64, reason: LedgerReason) -> Event {
        Event::CreditChanged {
            environment: org.cost_bearer,
            organisation: Some(org.id),
            amount,
            reason,
            at: self.now(),
        }
    }

    /// A copy lands in the recipient's Inbox IN; receiving costs its bearer 1 credit
    /// and is never refused.
    pub(crate) fn deliver(
        &self,
        recipient: &Organisation,
        document: DocumentId,
        name: String,
        sha256: Sha256,
        size: u64,
        summary: Option<Box<DocSummary>>,
    ) -> Vec<Event> {
        vec![
            Event::DocumentAdded {
                document: Document {
                    id: document,
                    organisation: recipient.id,
                    environment: recipient.environment,
                    doc_box: DocBox::InboxIn,
                    name,
                    sha256,
                    size,
                    uploaded_by: None,
                    at: self.now(),
                    summary,
                },
            },
            self.charge(recipient, -1, LedgerReason::Received { document }),
        ]
    }
}

/// Who is told of a sending: whoever can view the sent document.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::DocumentSent { document, .. } => vis.document(*document),
        _ => false,
    }
}

/// The recipient's copy is named only to those who can view it.
pub(crate) fn redact(vis: &Visibility, event: &mut Event) {
    if let Event::DocumentSent { delivered_as, .. } = event {
        if !vis.document(*delivered_as) {
            *delivered_as = DocumentId(uuid::Uuid::nil());
        }
    }
}
