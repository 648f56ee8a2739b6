//! The demo world: the stories of DOMAIN §9, played through real commands.

use super::invoice::{invoice_xml, InvoiceParty, InvoiceSpec, CATALOGUE};
use super::{company_name, next_uuid, person_name};
use crate::execute::execute;
use crate::model::command::{Actor, Command, Context, Created, Event};
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::peppol::{doc_summary, read_document};
use crate::world::World;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "preflight-demo";
/// The Support operator's login in the demo.
pub const SUPPORT_EMAIL: &str = "support@preflight.example";

/// One account to try the demo with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoLogin {
    pub email: String,
    pub name: String,
    pub environment: String,
    /// What the account shows, in a few words.
    pub role: String,
}

/// The accounts to try the demo with: email, name, environment, and what the
/// account shows. The generator creates each of them (a test checks it); this
/// list lets the sign-in page show them without generating the world.
const LOGINS: [(&str, &str, &str, &str); 11] = [
    (
        SUPPORT_EMAIL,
        "Support",
        "(platform)",
        "Support operator: plans, add-ons, credit, removals",
    ),
    (
        "alice@acme.example",
        "Alice Admin",
        "Acme Accountants",
        "Administrator of the accounting firm",
    ),
    (
        "bob@acme.example",
        "Bob Accountant",
        "Acme Accountants",
        "Advanced user, the accountant of 20 clients",
    ),
    (
        "carla@acme.example",
        "Carla Junior",
        "Acme Accountants",
        "User of the firm, member of its own office only",
    ),
    (
        "owner@bakerybv.example",
        "Bakery Owner",
        "Bakery BV",
        "Administrator of a client of Acme",
    ),
    (
        "finance@bakerybv.example",
        "Anna Jansen",
        "Bakery BV",
        "User of the client, in its finance team group, not a member of the organisation",
    ),
    (
        "nora@northwind.example",
        "Nora Admin",
        "Northwind Accountants",
        "Administrator of the 50-client firm",
    ),
    (
        "ahmed@northwind.example",
        "Ahmed Accountant",
        "Northwind Accountants",
        "Advanced user, accountant of 50 clients",
    ),
    (
        "hanna@globex.example",
        "Hanna Admin",
        "Globex Group",
        "Administrator of a holding with a subsidiary to split off",
    ),
    (
        "ivo@globex.example",
        "Ivo Finance",
        "Globex Group",
        "Advanced user, Manager of the holding",
    ),
    (
        "jade@globex.example",
        "Jade Labs",
        "Globex Group",
        "User, Manager of the subsidiary Globex Labs BV",
    ),
];

/// The accounts to try the demo with, demo password for all.
pub fn demo_logins() -> Vec<DemoLogin> {
    LOGINS
        .iter()
        .map(|(email, name, environment, role)| DemoLogin {
            email: (*email).into(),
            name: (*name).into(),
            environment: (*environment).into(),
            role: (*role).into(),
        })
        .collect()
}

/// The demo world's events (in order) and the accounts to try it with.
#[derive(Clone, Debug)]
pub struct Demo {
    pub events: Vec<Event>,
    /// The commands that made the events, in order, as an audit log records
    /// them: the demo's history.
    pub history: Vec<Step>,
    pub logins: Vec<DemoLogin>,
    /// The world after the events.
    pub world: World,
    /// The bytes of every uploaded document, by SHA-256: real UBL invoices in the
    /// inboxes, plain text in the Documents box.
    pub contents: BTreeMap<Sha256, Vec<u8>>,
}

/// One command of the demo script.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: Timestamp,
    pub actor: Actor,
    pub command: Command,
    /// Its events: `Demo::events[events]`.
    pub events: std::ops::Range<usize>,
    /// The environments whose audit log shows it ([`crate::audit::environments_of`]).
    pub environments: Vec<EnvironmentId>,
}

struct Builder {
    world: World,
    events: Vec<Event>,
    history: Vec<Step>,
    rng: ChaCha8Rng,
    clock: Timestamp,
    contents: BTreeMap<Sha256, Vec<u8>>,
}

/// 2026-09-01 08:00 UTC, the demo's first day.
const START: Timestamp = Timestamp(1_788_249_600_000);

impl Builder {
    fn run(&mut self, actor: &Actor, command: Command) -> Result<Vec<Event>, CommandError> {
        self.clock = Timestamp(self.clock.0 + 7 * 60_000);
        let new_ids = (0..Context::IDS_NEEDED)
            .map(|_| next_uuid(&mut self.rng))
            .collect();
        let ctx = Context {
            now: self.clock,
            new_ids,
        };
        let events = execute(&self.world, actor, command.clone(), &ctx)?;
        for event in &events {
            self.world.apply(event);
        }
        let start = self.events.len();
        self.events.extend(events.iter().cloned());
        self.history.push(Step {
            at: ctx.now,
            actor: actor.clone(),
            command,
            events: start..self.events.len(),
            environments: crate::audit::environments_of(&self.world, actor, &events),
        });
        Ok(events)
    }

    fn support(&mut self, command: Command) -> Result<Vec<Event>, CommandError> {
        self.run(
            &Actor::Support {
                name: "Support".into(),
            },
            command,
        )
    }

    /// Signs up an environment; returns (environment, administrator).
    fn sign_up(
        &mut self,
        environment: &str,
        admin: &str,
        email: &str,
        plan: Plan,
    ) -> Result<(EnvironmentId, UserId), CommandError> {
        let events = self.run(
            &Actor::Anonymous,
            Command::SignUp {
                environment_name: environment.into(),
                name: admin.into(),
                email: email.into(),
            },
        )?;
        let created = Created::of(&events);
        let (Some(env), Some(user)) = (created.environment, created.user) else {
            return Err(CommandError::not_found("environment"));
        };
        if plan != Plan::Free {
            self.support(Command::SetPlan {
                environment: env,
                plan,
            })?;
            self.support(Command::TopUpCredit {
                environment: env,
                amount: plan.included_credit(),
            })?;
        }
        Ok((env, user))
    }

    fn invite(
        &mut self,
        admin: UserId,
        name: &str,
        email: &str,
        role: EnvRole,
    ) -> Result<UserId, CommandError> {
        let events = self.run(
            &Actor::user(admin),
            Command::InviteUser {
                email: email.into(),
                name: name.into(),
                role,
            },
        )?;
        let invitation = Created::of(&events)
            .invitation
            .ok_or_else(|| CommandError::not_found("invitation"))?;
        let events = self.run(&Actor::Anonymous, Command::AcceptInvitation { invitation })?;
        Created::of(&events)
            .user
            .ok_or_else(|| CommandError::not_found("user"))
    }

    fn organisation(
        &mut self,
        admin: UserId,
        name: &str,
        participant: &str,
        activate: bool,
    ) -> Result<OrganisationId, CommandError> {
        let events = self.run(
            &Actor::user(admin),
            Command::AddOrganisation {
                name: name.into(),
                participant_id: participant.into(),
            },
        )?;
        let org = Created::of(&events)
            .organisation
            .ok_or_else(|| CommandError::not_found("organisation"))?;
        if activate {
            self.run(
                &Actor::user(admin),
                Command::ActivateOrganisation { organisation: org },
            )?;
        }
        Ok(org)
    }

    fn partner(
        &mut self,
        from: UserId,
        to_email: &str,
        accepter: UserId,
    ) -> Result<PartnershipId, CommandError> {
        let events = self.run(
            &Actor::user(from),
            Command::SendAuthorisationRequest {
                email: to_email.into(),
            },
        )?;
        let request = Created::of(&events)
            .request
            .ok_or_else(|| CommandError::not_found("request"))?;
        let events = self.run(
            &Actor::user(accepter),
            Command::AcceptPartnershipRequest { request },
        )?;
        Created::of(&events)
            .partnership
            .ok_or_else(|| CommandError::not_found("partnership"))
    }

    fn upload(
        &mut self,
        user: UserId,
        organisation: OrganisationId,
        doc_box: DocBox,
        number: usize,
        supplier: &str,
        customer: &str,
    ) -> Result<DocumentId, CommandError> {
        let (name, bytes, summary) = if doc_box == DocBox::Documents {
            let text = format!(
                "Service agreement {number:04}\n\nBetween {supplier} and {customer}.\n\
                 Signed {}.\n",
                self.clock.to_date_string()
            );
            (format!("Contract {number:04}.txt"), text.into_bytes(), None)
        } else {
            let own = self
                .world
                .organisation(organisation)
                .map(|o| o.participant_id.clone())
                .unwrap_or_default();
            let other = format!("0088:{:013}", 8_700_000_000_000u64 + number as u64);
            let (supplier_endpoint, customer_endpoint) = if doc_box == DocBox::InboxIn {
                (other.as_str(), own.as_str())
            } else {
                (own.as_str(), other.as_str())
            };
            let invoice_number = format!("INV-{number:05}");
            let issue_date = self.clock.to_date_string();
            let due_date = Timestamp(self.clock.0 + 30 * 86_400_000).to_date_string();
            let lines = CATALOGUE
                .iter()
                .cycle()
                .skip(number % CATALOGUE.len())
                .step_by(3)
                .take(1 + number % 3)
                .enumerate()
                .map(|(k, &(description, price))| {
                    (description, 1 + ((number * 7 + k) % 12) as u32, price)
                })
                .collect();
            let xml = invoice_xml(&InvoiceSpec {
                number: &invoice_number,
                issue_date: &issue_date,
                due_date: &due_date,
                supplier: InvoiceParty {
                    name: supplier,
                    endpoint: supplier_endpoint,
                    city: "Utrecht",
                },
                customer: InvoiceParty {
                    name: customer,
                    endpoint: customer_endpoint,
                    city: "Amsterdam",
                },
                lines,
            });
            let read = read_document(xml.as_bytes())
                .map_err(|e| CommandError::invalid("document", e.to_string()))?;
            (
                format!("Invoice {invoice_number}.xml"),
                xml.into_bytes(),
                Some(doc_summary(&read)),
            )
        };
        let sha256 = Sha256::of(&bytes);
        let size = bytes.len() as u64;
        self.contents.insert(sha256, bytes);
        let events = self.run(
            &Actor::user(user),
            Command::UploadDocument {
                organisation,
                doc_box,
                name,
                sha256,
                size,
                summary,
            },
        )?;
        Created::of(&events)
            .document
            .ok_or_else(|| CommandError::not_found("document"))
    }
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// Builds the demo world. It is a fixed script, run by the tests; it cannot fail
/// unless the rules changed under it, which those tests then report.
#[allow(clippy::expect_used)]
pub fn demo() -> Demo {
    build().expect("the demo script follows the rules")
}

fn build() -> Result<Demo, CommandError> {
    let mut b = Builder {
        world: World::new(),
        events: Vec::new(),
        history: Vec::new(),
        rng: ChaCha8Rng::seed_from_u64(2026),
        clock: START,
        contents: BTreeMap::new(),
    };

    // --- Story 2: Acme Accountants, 20 clients, groups and workflow.
    let (acme, alice) = b.sign_up(
        "Acme Accountants",
        "Alice Admin",
        "alice@acme.example",
        Plan::Professional,
    )?;
    b.support(Command::SetAddOn {
        environment: acme,
        add_on: AddOn::WorkflowEngine,
        enabled: true,
    })?;
    let bob = b.invite(
        alice,
        "Bob Accountant",
        "bob@acme.example",
        EnvRole::AdvancedUser,
    )?;
    let carla = b.invite(alice, "Carla Junior", "carla@acme.example", EnvRole::User)?;
    b.run(
        &Actor::user(alice),
        Command::SetRelationshipManager {
            user: bob,
            enabled: true,
        },
    )?;
    let acme_office = b.organisation(
        alice,
        "Acme Accountants BV",
        &super::belgian_enterprise_number(1),
        true,
    )?;
    b.run(
        &Actor::user(alice),
        Command::AddMember {
            organisation: acme_office,
            user: carla,
            role: OrgRole::Member,
        },
    )?;

    for n in 0..20 {
        let company = if n == 0 {
            "Bakery BV".to_string()
        } else {
            format!("{} BV", company_name(n + 3))
        };
        let s = slug(&company);
        let (_env, admin) = b.sign_up(
            &company,
            &format!("{} Owner", company.trim_end_matches(" BV")),
            &format!("owner@{s}.example"),
            Plan::Basic,
        )?;
        let (first, last) = person_name(n);
        let finance_name = format!("{first} {last}");
        let finance = b.invite(
            admin,
            &finance_name,
            &format!("finance@{s}.example"),
            EnvRole::User,
        )?;
        let org = b.organisation(
            admin,
            &company,
            &super::belgian_enterprise_number(1000 + n as u64),
            true,
        )?;
        let partnership = b.partner(bob, &format!("owner@{s}.example"), admin)?;
        b.run(
            &Actor::user(admin),
            Command::AddMember {
                organisation: org,
                user: bob,
                role: OrgRole::Member,
            },
        )?;
        b.run(
            &Actor::user(alice),
            Command::ConnectRelationshipManager {
                partnership,
                user: bob,
            },
        )?;
        // The group lives in the firm's environment: the accountant and the client's
        // financially responsible person.
        let events = b.run(
            &Actor::user(bob),
            Command::CreateGroup {
                name: format!("Finance team {company}"),
            },
        )?;
        let group = Created::of(&events)
            .group
            .ok_or_else(|| CommandError::not_found("group"))?;
        b.run(
            &Actor::user(bob),
            Command::AddGroupMember { group, user: bob },
        )?;
        b.run(
            &Actor::user(bob),
            Command::AddGroupMember {
                group,
                user: finance,
            },
        )?;
        for (k, doc_box) in [
            DocBox::InboxIn,
            DocBox::InboxIn,
            DocBox::InboxOut,
            DocBox::Documents,
        ]
        .into_iter()
        .enumerate()
        {
            let supplier = if doc_box == DocBox::InboxIn {
                format!("{} Supplies", company_name(n * 4 + k))
            } else {
                company.clone()
            };
            let customer = if doc_box == DocBox::InboxIn {
                company.clone()
            } else {
                format!("{} Retail", company_name(n * 3 + k))
            };
            let doc = b.upload(bob, org, doc_box, n * 10 + k, &supplier, &customer)?;
            if k == 1 && n != 0 {
                // One purchase invoice per client already goes to its finance team.
                b.run(
                    &Actor::user(admin),
                    Command::ShareDocument {
                        document: doc,
                        grantee: crate::model::Grantee::Group(group),
                        level: Level::View,
                    },
                )?;
            }
            if k == 0 && n < 6 {
                b.run(
                    &Actor::user(bob),
                    Command::StartApprovalTask {
                        document: doc,
                        assignee: bob,
                        note: Some("Initial check".into()),
                    },
                )?;
            }
        }
    }

    // --- Story 1: Northwind Accountants, 50 clients through authorisation requests.
    let (northwind, nora) = b.sign_up(
        "Northwind Accountants",
        "Nora Admin",
        "nora@northwind.example",
        Plan::Basic,
    )?;
    let ahmed = b.invite(
        nora,
        "Ahmed Accountant",
        "ahmed@northwind.example",
        EnvRole::AdvancedUser,
    )?;
    for n in 0..50 {
        let company = format!(
            "{} {}",
            company_name(n + 40),
            ["NV", "BV", "BVBA", "SRL"]
                .get(n % 4)
                .copied()
                .unwrap_or("BV")
        );
        let s = slug(&company);
        let (_, admin) = b.sign_up(
            &company,
            &format!("{} Owner", company_name(n + 40)),
            &format!("owner@{s}.example"),
            Plan::Free,
        )?;
        let org = b.organisation(
            admin,
            &company,
            &super::belgian_enterprise_number(5000 + n as u64),
            true,
        )?;
        b.partner(ahmed, &format!("owner@{s}.example"), admin)?;
        b.run(
            &Actor::user(admin),
            Command::AddMember {
                organisation: org,
                user: ahmed,
                role: OrgRole::Member,
            },
        )?;
        b.run(
            &Actor::user(ahmed),
            Command::RetrieveConnectionKey { organisation: org },
        )?;
        b.run(
            &Actor::user(ahmed),
            Command::ConfigureSoftwareConnection {
                organisation: org,
                software: "Exact Online".into(),
            },
        )?;
        if n % 5 == 0 {
            b.run(
                &Actor::user(nora),
                Command::TakeOnCosts { organisation: org },
            )?;
        }
        for k in 0..2 {
            let doc_box = if k == 0 {
                DocBox::InboxIn
            } else {
                DocBox::InboxOut
            };
            b.upload(
                ahmed,
                org,
                doc_box,
                2000 + n * 10 + k,
                &company,
                &format!("{} Retail", company_name(n + k)),
            )?;
        }
    }
    let _ = northwind;

    // --- Story 3: a holding whose subsidiary becomes independent.
    let (globex, hanna) = b.sign_up(
        "Globex Group",
        "Hanna Admin",
        "hanna@globex.example",
        Plan::Professional,
    )?;
    let ivo = b.invite(
        hanna,
        "Ivo Finance",
        "ivo@globex.example",
        EnvRole::AdvancedUser,
    )?;
    let jade = b.invite(hanna, "Jade Labs", "jade@globex.example", EnvRole::User)?;
    let holding = b.organisation(
        hanna,
        "Globex Holding BV",
        &super::belgian_enterprise_number(9001),
        true,
    )?;
    let retail = b.organisation(
        hanna,
        "Globex Retail BV",
        &super::belgian_enterprise_number(9002),
        true,
    )?;
    let labs = b.organisation(
        hanna,
        "Globex Labs BV",
        &super::belgian_enterprise_number(9003),
        true,
    )?;
    b.run(
        &Actor::user(hanna),
        Command::AddMember {
            organisation: holding,
            user: ivo,
            role: OrgRole::Manager,
        },
    )?;
    b.run(
        &Actor::user(hanna),
        Command::AddMember {
            organisation: retail,
            user: ivo,
            role: OrgRole::Member,
        },
    )?;
    b.run(
        &Actor::user(hanna),
        Command::AddMember {
            organisation: labs,
            user: ivo,
            role: OrgRole::Member,
        },
    )?;
    b.run(
        &Actor::user(hanna),
        Command::AddMember {
            organisation: labs,
            user: jade,
            role: OrgRole::Manager,
        },
    )?;
    b.partner(bob, "hanna@globex.example", hanna)?;
    b.run(
        &Actor::user(hanna),
        Command::AddMember {
            organisation: labs,
            user: bob,
            role: OrgRole::Member,
        },
    )?;
    for (k, org) in [holding, retail, labs, labs, labs].into_iter().enumerate() {
        let name = b
            .world
            .organisation(org)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        b.upload(
            ivo,
            org,
            DocBox::InboxIn,
            9000 + k,
            &format!("{} Supplies", company_name(k + 7)),
            &name,
        )?;
        b.upload(
            ivo,
            org,
            DocBox::InboxOut,
            9100 + k,
            &name,
            &format!("{} Retail", company_name(k + 9)),
        )?;
    }

    let _ = (globex, acme, northwind);
    Ok(Demo {
        events: b.events,
        history: b.history,
        logins: demo_logins(),
        world: b.world,
        contents: b.contents,
    })
}
