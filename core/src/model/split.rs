//! What the split simulator (DOMAIN §7) is asked and what it answers: the
//! options, the plan with its fingerprint, and everything a plan reports. Plain
//! data; the simulator is [`crate::split`].

use crate::model::entities::*;
use crate::model::error::CommandError;
use crate::model::fingerprint::*;
use crate::model::ids::*;
use crate::model::permission::{self as access, Access, Reasons};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

// ---------------------------------------------------------------------------
// What is asked
// ---------------------------------------------------------------------------

/// Under option 1, the organisations of the environment one user keeps.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Keep {
    pub user: UserId,
    /// Sorted. After the plan the user is a member of exactly these organisations
    /// of the environment (their memberships elsewhere are untouched).
    pub organisations: Vec<OrganisationId>,
}

/// The option to simulate, with what it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "option"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum SplitOption {
    /// Option 1: keep one environment, manage access per organisation.
    ///
    /// `keep` says which users keep which organisations. Without it the plan
    /// proposes one: the selected organisations become a workspace of their own —
    /// users whose memberships in the environment all lie within the selection keep
    /// them, every other member of a selected organisation loses it (and keeps the
    /// rest). Administrators keep the overview either way.
    ManageAccess { keep: Option<Vec<Keep>> },
    /// Option 2: remove the organisations and recreate them in a new environment.
    ///
    /// `exported` may hold the per-document SHA-256 digests of an export's
    /// manifest to compare with; `None` compares with the latest export the world
    /// records for each organisation ([`Command::ExportOrganisation`]), and a
    /// document of an organisation never exported counts as not covered.
    FullSeparation { exported: Option<BTreeSet<Sha256>> },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(SplitOption, "option");

impl SplitOption {
    /// Which of the two options this is.
    pub fn choice(&self) -> SplitChoice {
        match self {
            SplitOption::ManageAccess { .. } => SplitChoice::ManageAccess,
            SplitOption::FullSeparation { .. } => SplitChoice::FullSeparation,
        }
    }
}

/// The two ways to split, without their inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SplitChoice {
    /// Option 1 (manage access).
    ManageAccess,
    /// Option 2 (full separation).
    FullSeparation,
}

impl fmt::Display for SplitChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitChoice::ManageAccess => "Option 1 (manage access)",
            SplitChoice::FullSeparation => "Option 2 (full separation)",
        })
    }
}

// ---------------------------------------------------------------------------
// What a plan says
// ---------------------------------------------------------------------------

/// The impact of one option for a selection of organisations, and the facts it
/// rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitPlan {
    pub environment: EnvironmentId,
    /// The selected organisations, sorted.
    pub organisations: Vec<OrganisationId>,
    pub fingerprint: Fingerprint,
    pub impact: SplitImpact,
}

impl SplitPlan {
    /// Which option the plan is for.
    pub fn choice(&self) -> SplitChoice {
        match self.impact {
            SplitImpact::ManageAccess(_) => SplitChoice::ManageAccess,
            SplitImpact::FullSeparation(_) => SplitChoice::FullSeparation,
        }
    }
}

/// The impact of one option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "option"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum SplitImpact {
    ManageAccess(AccessPlan),
    FullSeparation(SeparationPlan),
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(SplitImpact, "option");

/// One membership change of an option-1 plan, written as the command that
/// makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "type"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum MembershipChange {
    AddMember {
        organisation: OrganisationId,
        user: UserId,
        role: OrgRole,
    },
    RemoveMember {
        organisation: OrganisationId,
        user: UserId,
    },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(MembershipChange, "type");

impl MembershipChange {
    /// The organisation whose membership changes.
    pub fn organisation(&self) -> OrganisationId {
        match self {
            MembershipChange::AddMember { organisation, .. }
            | MembershipChange::RemoveMember { organisation, .. } => *organisation,
        }
    }

    /// The user whose membership changes.
    pub fn user(&self) -> UserId {
        match self {
            MembershipChange::AddMember { user, .. }
            | MembershipChange::RemoveMember { user, .. } => *user,
        }
    }
}

/// Option 1: membership changes that make each chosen user see only their
/// organisations. Credit stays shared; Administrators keep the overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPlan {
    /// Every chosen user with the organisations they keep, by user.
    pub keep: Vec<Keep>,
    /// By user then organisation; [`crate::Command::ApplyAccessPlan`]
    /// executes them together.
    pub changes: Vec<MembershipChange>,
    /// Who gains or loses what, per user and organisation: the organisation
    /// itself one by one, its documents counted (a plan for an organisation with
    /// 100,000 documents stays small).
    pub access_changes: Vec<PlannedAccess>,
    /// The Administrators of the environment: they keep seeing every organisation.
    pub administrators: Vec<UserId>,
    /// Connection keys that stop working because their holder loses the right to
    /// retrieve them.
    pub keys_revoked: Vec<KeyImpact>,
    /// Open tasks that go back to someone who can still view their document.
    pub tasks_reassigned: Vec<TaskImpact>,
    pub credit: CreditImpact,
}

/// One user's access to one organisation and its documents, before and after an
/// option-1 plan. Computed exactly as a preview computes access changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAccess {
    pub user: UserId,
    pub organisation: OrganisationId,
    /// The organisation actions before and after (equal when only documents change).
    pub before: Access,
    pub after: Access,
    /// The grant paths to the organisation before (what is lost) and after.
    pub reasons_before: Reasons,
    pub reasons_after: Reasons,
    /// The organisation's documents whose access changes, counted by change.
    pub documents: Vec<DocumentAccessCount>,
}

impl PlannedAccess {
    /// Whether the user ends with less than they had, of the organisation or of
    /// any of its documents.
    pub fn is_loss(&self) -> bool {
        let lost = |before: Access, after: Access, kind| {
            before.actions(kind).iter().any(|a| !after.allows(*a))
        };
        lost(self.before, self.after, access::ResourceKind::Organisation)
            || self
                .documents
                .iter()
                .any(|d| lost(d.before, d.after, access::ResourceKind::Document))
    }

    /// The number of documents whose access changes.
    pub fn n_documents(&self) -> usize {
        self.documents.iter().map(|d| d.documents).sum()
    }
}

/// How many documents go from one access to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocumentAccessCount {
    pub before: Access,
    pub after: Access,
    pub documents: usize,
}

/// Option 2: everything the removal and recreation would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationPlan {
    /// Users of the environment and of partner environments who lose access, by user.
    pub losses: Vec<UserLoss>,
    /// Every document of the selected organisations is deleted irreversibly.
    pub documents_deleted: usize,
    /// Of those, how many the latest export does not cover (all of them when no
    /// export digests were passed in; see [`SplitOption::FullSeparation`]).
    pub documents_not_exported: usize,
    /// Whether any export is known: passed in, or recorded for a selected organisation.
    pub export_known: bool,
    /// Shares of the selected organisations' documents, and shares of other
    /// documents with the selected organisations: all go.
    pub shares_removed: Vec<Share>,
    /// Groups that lose shares. No group membership is removed, but these groups'
    /// members lose what the groups held.
    pub groups: Vec<GroupImpact>,
    /// Open tasks deleted with their document, or reassigned because their
    /// assignee loses access.
    pub tasks: Vec<TaskImpact>,
    pub keys_revoked: Vec<KeyImpact>,
    /// Relationship managers of the partnerships the new environment would have to
    /// re-create: their links do not move.
    pub relationship_managers: Vec<RelationshipManagerLink>,
    pub partnerships_to_recreate: Vec<PartnershipToRecreate>,
    /// Partners bearing the costs of a selected organisation: the bearing reverts.
    pub cost_bearing: Vec<CostBearing>,
    pub credit: CreditImpact,
    /// Per organisation, the steps during which it is unreachable on Peppol.
    pub peppol: Vec<PeppolGap>,
    /// The procedure, in order.
    pub steps: Vec<SplitStep>,
}

/// What one user loses under option 2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLoss {
    pub user: UserId,
    pub home: EnvironmentId,
    /// Whether the user comes from a partner environment.
    pub partner: bool,
    /// Organisations the user loses as a whole (with every one of their documents).
    pub organisations: Vec<OrganisationLoss>,
    /// Documents the user reaches one by one (shares) and loses or keeps less of.
    pub documents: Vec<DocumentLoss>,
}

impl UserLoss {
    /// The number of documents the user loses or keeps less of.
    pub fn n_documents(&self) -> usize {
        self.organisations
            .iter()
            .map(|o| o.documents)
            .sum::<usize>()
            + self.documents.len()
    }
}

/// An organisation one user loses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationLoss {
    pub organisation: OrganisationId,
    /// The organisation actions the user had.
    pub access: Access,
    /// Why they had it (Administrator, membership).
    pub reasons: Reasons,
    /// The documents of the organisation, all lost with it.
    pub documents: usize,
}

/// A document one user loses, or keeps less of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLoss {
    pub document: DocumentId,
    pub organisation: OrganisationId,
    pub before: Access,
    pub after: Access,
    /// The grant paths the user had.
    pub reasons: Reasons,
}

/// A group that loses shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupImpact {
    pub group: GroupId,
    pub environment: EnvironmentId,
    pub members: Vec<UserId>,
    /// The number of its shares that go.
    pub shares: usize,
}

/// An open task affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskImpact {
    pub task: TaskId,
    pub document: DocumentId,
    pub assignee: UserId,
    pub outcome: TaskOutcome,
}

/// What happens to an open task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "outcome"))]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub enum TaskOutcome {
    /// Deleted with its document.
    Deleted,
    /// Goes back to someone who can still view the document.
    Reassigned { to: UserId },
}
#[cfg(target_arch = "wasm32")]
crate::util::tagged::tag_first!(TaskOutcome, "outcome");

/// A connection key that stops working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyImpact {
    pub key: KeyId,
    pub organisation: OrganisationId,
    pub holder: UserId,
}

/// A relationship manager connected to a partnership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationshipManagerLink {
    pub partnership: PartnershipId,
    pub user: UserId,
}

/// An active partnership the selected organisations rely on, which the new
/// environment would have to re-create (the accountant's, typically).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnershipToRecreate {
    pub partnership: PartnershipId,
    pub partner: EnvironmentId,
    /// Users of the partner who are members of a selected organisation.
    pub members: Vec<UserId>,
    /// Shares that cross this partnership.
    pub shares: usize,
    /// Selected organisations whose costs the partner bears.
    pub bears_costs_of: Vec<OrganisationId>,
    pub relationship_managers: Vec<UserId>,
}

/// Cost bearing that reverts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostBearing {
    pub organisation: OrganisationId,
    /// The partner bearing the costs now.
    pub bearer: EnvironmentId,
}

/// Credit before and after, and the selection's share of recent transactions.
///
/// "Recent" is the [`RECENT_DAYS`] days up to the environment's latest credit
/// movement (the core reads no clock). Credit figures move with every transaction
/// of the environment, so they are not part of a plan's fingerprint; only the
/// selected organisations' own transactions are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditImpact {
    /// The environment's balance now.
    pub balance_before: i64,
    /// Its balance after the split: no credit moves either way.
    pub balance_after: i64,
    /// Whether the selection keeps sharing the environment's credit (option 1).
    pub shared: bool,
    /// The credit a new environment starts with (option 2: the Free plan's).
    pub new_environment_credit: Option<i64>,
    /// Sends and receives charged to the environment in the recent window.
    pub recent_transactions: u64,
    /// Of those, the selected organisations'.
    pub recent_transactions_of_selection: u64,
}

impl CreditImpact {
    /// The selection's share of recent transactions, in whole percent.
    pub fn share_percent(&self) -> u64 {
        self.recent_transactions_of_selection
            .saturating_mul(100)
            .checked_div(self.recent_transactions)
            .unwrap_or(0)
    }

    /// Recent transactions the environment would have had without the selection.
    pub fn recent_transactions_after(&self) -> u64 {
        self.recent_transactions
            .saturating_sub(self.recent_transactions_of_selection)
    }
}

/// The window of "recent" credit transactions.
pub const RECENT_DAYS: i64 = 90;

/// The steps of option 2 (DOMAIN §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SplitStep {
    Export,
    AuthoriseRemoval,
    ExecuteRemoval,
    SignUp,
    AddOrganisation,
    ActivateOrganisation,
    ImportBundle,
}

impl SplitStep {
    /// The procedure, in order.
    pub const ALL: [SplitStep; 7] = [
        SplitStep::Export,
        SplitStep::AuthoriseRemoval,
        SplitStep::ExecuteRemoval,
        SplitStep::SignUp,
        SplitStep::AddOrganisation,
        SplitStep::ActivateOrganisation,
        SplitStep::ImportBundle,
    ];

    /// The steps during which the organisation is unreachable on Peppol: from its
    /// removal until its activation in the new environment.
    pub const PEPPOL_GAP: [SplitStep; 3] = [
        SplitStep::ExecuteRemoval,
        SplitStep::SignUp,
        SplitStep::AddOrganisation,
    ];
}

/// One organisation's time off Peppol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeppolGap {
    pub organisation: OrganisationId,
    pub participant_id: String,
    /// Whether it is registered (reachable) now.
    pub registered: bool,
    /// Unreachable from removal ...
    pub unreachable_during: Vec<SplitStep>,
    /// ... until this step restores the registration.
    pub reachable_again_at: SplitStep,
}

// ---------------------------------------------------------------------------
// Which option suits you?
// ---------------------------------------------------------------------------

/// The four situations of the seed's "Which option suits you?" table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Question {
    SeparateCredit,
    RestrictEmployees,
    ClientManagesOwnAccount,
    CentralOverview,
}

impl Question {
    pub const ALL: [Question; 4] = [
        Question::SeparateCredit,
        Question::RestrictEmployees,
        Question::ClientManagesOwnAccount,
        Question::CentralOverview,
    ];

    /// The option the seed's table recommends for this situation.
    pub fn recommends(self) -> SplitChoice {
        match self {
            Question::SeparateCredit | Question::ClientManagesOwnAccount => {
                SplitChoice::FullSeparation
            }
            Question::RestrictEmployees | Question::CentralOverview => SplitChoice::ManageAccess,
        }
    }

    /// The situation, in the seed's words.
    pub fn situation(self) -> &'static str {
        match self {
            Question::SeparateCredit => {
                "organisations need to operate separately with their own credit"
            }
            Question::RestrictEmployees => {
                "you want to restrict employees to specific organisations"
            }
            Question::ClientManagesOwnAccount => "a client wants to manage their own account",
            Question::CentralOverview => "you want to keep a single central overview",
        }
    }
}

/// The Administrator's answers to the four questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SplitQuestions {
    pub separate_credit: bool,
    pub restrict_employees: bool,
    pub client_manages_own_account: bool,
    pub central_overview: bool,
}

impl SplitQuestions {
    /// Whether the answer to `question` is yes.
    pub fn answer(&self, question: Question) -> bool {
        match question {
            Question::SeparateCredit => self.separate_credit,
            Question::RestrictEmployees => self.restrict_employees,
            Question::ClientManagesOwnAccount => self.client_manages_own_account,
            Question::CentralOverview => self.central_overview,
        }
    }

    /// The recommended option, per the seed's table.
    ///
    /// Each "yes" points at the option the table names for it. When answers point
    /// both ways, option 2 wins: option 1 cannot give separate credit or an account
    /// of the client's own at all, while the new environment can still restrict its
    /// employees; what option 2 gives up (the central overview) is said.
    pub fn recommend(&self) -> Recommendation {
        let yes: Vec<Question> = Question::ALL
            .into_iter()
            .filter(|q| self.answer(*q))
            .collect();
        let (for_separation, for_access): (Vec<Question>, Vec<Question>) = yes
            .iter()
            .partition(|q| q.recommends() == SplitChoice::FullSeparation);
        let (option, because, other) = if !for_separation.is_empty() {
            (SplitChoice::FullSeparation, for_separation, for_access)
        } else {
            (SplitChoice::ManageAccess, for_access, Vec::new())
        };
        let gives_up: Vec<Question> = other
            .into_iter()
            .filter(|q| *q == Question::CentralOverview)
            .collect();
        let mut reason = if because.is_empty() {
            format!(
                "{option}: nothing calls for a full separation, and managing access per organisation keeps the credit shared and the overview in one place"
            )
        } else {
            let situations: Vec<&str> = because.iter().map(|q| q.situation()).collect();
            format!("{option}: {}", situations.join("; "))
        };
        if !gives_up.is_empty() {
            let situations: Vec<&str> = gives_up.iter().map(|q| q.situation()).collect();
            reason.push_str(&format!(
                "; but it gives up what you also asked for: {}",
                situations.join("; ")
            ));
        }
        Recommendation {
            option,
            because,
            gives_up,
            reason,
        }
    }
}

/// The option recommended, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub option: SplitChoice,
    /// The "yes" answers that point at it.
    pub because: Vec<Question>,
    /// "Yes" answers that it does not satisfy.
    pub gives_up: Vec<Question>,
    /// One sentence for the Administrator.
    pub reason: String,
}

/// Both options for the same selection, side by side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitComparison {
    pub questions: SplitQuestions,
    pub recommendation: Recommendation,
    pub manage_access: SplitPlan,
    pub full_separation: SplitPlan,
}

/// A plan computed on facts that have changed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalePlan {
    /// The categories that changed, in [`Fact::ALL`] order.
    pub changed: Vec<Fact>,
}

impl StalePlan {
    /// What changed, as a phrase ("shares and tasks").
    pub fn what_changed(&self) -> String {
        let names: Vec<String> = self.changed.iter().map(Fact::to_string).collect();
        match names.split_last() {
            None => "its facts".to_string(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

impl fmt::Display for StalePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = self.what_changed();
        write!(
            f,
            "the plan is out of date: {list} changed since it was computed; simulate the split again"
        )
    }
}

impl std::error::Error for StalePlan {}

impl From<StalePlan> for CommandError {
    fn from(stale: StalePlan) -> Self {
        CommandError::StalePlan(stale.to_string())
    }
}

impl SplitComparison {
    /// Drops from both plans every user the viewer may not see (DOMAIN §1): the
    /// server sends a comparison only in this form. What such users lose stays
    /// counted where a plan counts (documents, shares), never named.
    pub fn restrict_to(&mut self, visible: impl Fn(UserId) -> bool) {
        self.manage_access.restrict_to(&visible);
        self.full_separation.restrict_to(&visible);
    }
}

impl SplitPlan {
    /// See [`SplitComparison::restrict_to`].
    pub fn restrict_to(&mut self, visible: &impl Fn(UserId) -> bool) {
        match &mut self.impact {
            // `keep` and `changes` are what `ApplyAccessPlan` executes; they name
            // members of the environment's own organisations, whom its
            // Administrator sees, and are left whole.
            SplitImpact::ManageAccess(plan) => {
                plan.access_changes.retain(|c| visible(c.user));
                plan.administrators.retain(|u| visible(*u));
                plan.keys_revoked.retain(|k| visible(k.holder));
                plan.tasks_reassigned.retain(|t| visible(t.assignee));
            }
            SplitImpact::FullSeparation(plan) => {
                plan.losses.retain(|l| visible(l.user));
                for group in &mut plan.groups {
                    group.members.retain(|u| visible(*u));
                }
                plan.tasks.retain(|t| visible(t.assignee));
                plan.keys_revoked.retain(|k| visible(k.holder));
                plan.relationship_managers.retain(|l| visible(l.user));
                for partnership in &mut plan.partnerships_to_recreate {
                    partnership.members.retain(|u| visible(*u));
                    partnership.relationship_managers.retain(|u| visible(*u));
                }
            }
        }
    }
}
