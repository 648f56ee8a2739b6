//! Scenario: an accounting firm and its client (DOMAIN §9).

use super::fixture::*;
use preflight_core::*;

/// The client environment "Acme" with its organisation "Bakery BV", and the
/// accounting firm "Acme Accountants", partnered through an authorisation
/// request. The firm's accountant (an AdvancedUser) is a Member of Bakery BV.
pub(crate) struct Firm {
    pub(crate) f: Fixture,
    pub(crate) acme: EnvironmentId,
    pub(crate) acme_admin: UserId,
    /// A plain User of Acme, not a member of anything yet.
    pub(crate) clerk: UserId,
    pub(crate) bakery: OrganisationId,
    pub(crate) firm: EnvironmentId,
    pub(crate) firm_admin: UserId,
    pub(crate) accountant: UserId,
    pub(crate) partnership: PartnershipId,
}

pub(crate) const ACME_ADMIN: &str = "ada@acme.test";

impl Firm {
    /// Rob, an advanced user of the firm made a relationship manager, and
    /// connected to the partnership with Acme when `connected`.
    pub(crate) fn relationship_manager(&mut self, connected: bool) -> UserId {
        let rob = self
            .f
            .invite(self.firm_admin, "rob@firm.test", EnvRole::AdvancedUser);
        self.f.set_relationship_manager(self.firm_admin, rob);
        if connected {
            self.f.ok(
                self.firm_admin,
                Command::ConnectRelationshipManager {
                    partnership: self.partnership,
                    user: rob,
                },
            );
        }
        rob
    }
}

pub(crate) fn firm() -> Firm {
    let mut f = Fixture::new();
    let (acme, acme_admin) = f.sign_up("Acme", ACME_ADMIN);
    let clerk = f.invite(acme_admin, "cleo@acme.test", EnvRole::User);
    let bakery = f.org(acme_admin, "Bakery BV");
    let (firm, firm_admin) = f.sign_up("Acme Accountants", "fred@firm.test");
    let accountant = f.invite(firm_admin, "anna@firm.test", EnvRole::AdvancedUser);
    let partnership = f.partner(firm_admin, ACME_ADMIN, acme_admin);
    f.member(acme_admin, bakery, accountant, OrgRole::Member);
    Firm {
        f,
        acme,
        acme_admin,
        clerk,
        bakery,
        firm,
        firm_admin,
        accountant,
        partnership,
    }
}

/// Acme (Bakery BV) and Mill (Mill NV), both active on Peppol, not partnered.
pub(crate) struct Trade {
    pub(crate) f: Fixture,
    pub(crate) acme: EnvironmentId,
    pub(crate) ada: UserId,
    pub(crate) bakery: OrganisationId,
    pub(crate) mill_env: EnvironmentId,
    pub(crate) mill: OrganisationId,
}

pub(crate) fn trade() -> Trade {
    let mut f = Fixture::new();
    let (acme, ada) = f.sign_up("Acme", ACME_ADMIN);
    let bakery = f.org(ada, "Bakery BV");
    let (mill_env, max) = f.sign_up("Mill", "max@mill.test");
    let mill = f.org(max, "Mill NV");
    Trade {
        f,
        acme,
        ada,
        bakery,
        mill_env,
        mill,
    }
}
