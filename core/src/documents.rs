//! Documents and sharing (DOMAIN §3): uploading, deleting, sharing with
//! users and groups, and revoking shares.

use crate::access::{check, Action, Resource};
use crate::decider::*;
use crate::model::command::Event;
use crate::model::error::CommandError;
use crate::model::ids::*;
use crate::model::*;
use crate::project::Visibility;

impl<'a> Decider<'a> {
    pub(crate) fn upload_document(
        &mut self,
        organisation: OrganisationId,
        doc_box: DocBox,
        name: String,
        sha256: Sha256,
        size: u64,
        summary: Option<DocSummary>,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let me = self.me()?;
        let org = self.organisation(organisation)?;
        self.may_upload(me, org)?;
        let name = clean_name("name", &name)?;
        let document = self.id()?;
        Ok(vec![Event::DocumentAdded {
            document: Document {
                id: document,
                organisation,
                environment: org.environment,
                doc_box,
                name,
                sha256,
                size,
                uploaded_by: Some(me.id),
                at: now,
                summary: summary.map(Box::new),
            },
        }])
    }

    pub(crate) fn delete_document(
        &mut self,
        document: DocumentId,
    ) -> Result<Vec<Event>, CommandError> {
        self.require(Action::Manage, Resource::Document(document))?;
        Ok(vec![Event::DocumentDeleted { document }])
    }

    pub(crate) fn share_document(
        &mut self,
        document: DocumentId,
        grantee: Grantee,
        level: Level,
    ) -> Result<Vec<Event>, CommandError> {
        let now = self.now();
        let me = self.require(Action::Manage, Resource::Document(document))?;
        let doc = self.document(document)?;
        self.grantee_allowed(doc, grantee)?;
        if let Some(existing) = self
            .world
            .shares_of(document)
            .iter()
            .find(|s| s.grantee == grantee)
        {
            if existing.level == level {
                return Err(CommandError::Conflict(format!(
                    "already shared with them ({level})"
                )));
            }
        }
        Ok(vec![Event::ShareGranted {
            share: Share {
                document,
                grantee,
                level,
                by: me.id,
                at: now,
            },
        }])
    }

    pub(crate) fn unshare_document(
        &mut self,
        document: DocumentId,
        grantee: Grantee,
    ) -> Result<Vec<Event>, CommandError> {
        self.require(Action::Manage, Resource::Document(document))?;
        match grantee {
            Grantee::User(u) => drop(self.user(u)?),
            Grantee::Group(g) => drop(self.group(g)?),
            Grantee::Organisation(o) => drop(self.organisation(o)?),
        }
        if !self
            .world
            .shares_of(document)
            .iter()
            .any(|s| s.grantee == grantee)
        {
            return Err(CommandError::Conflict(
                "the document is not shared with them".into(),
            ));
        }
        Ok(vec![Event::ShareRevoked { document, grantee }])
    }

    /// Uploading into an organisation's boxes needs Edit on the organisation's
    /// documents: membership, or Administrator of its environment.
    /// (Whoever sees the organisation in full, a member or an Administrator of
    /// its environment, has that Edit: `ViewOrganisation` answers it.)
    pub(crate) fn may_upload(&self, me: &User, org: &Organisation) -> Result<(), CommandError> {
        if check(
            self.world,
            me.id,
            Action::ViewOrganisation,
            Resource::Organisation(org.id),
        )
        .allowed
        {
            Ok(())
        } else {
            Err(CommandError::not_found("organisation"))
        }
    }

    /// A document can be shared only with users, groups and organisations of its
    /// own environment or of an actively partnered one.
    pub(crate) fn grantee_allowed(
        &mut self,
        doc: &Document,
        grantee: Grantee,
    ) -> Result<(), CommandError> {
        let (environment, name) = match grantee {
            Grantee::User(u) => {
                let u = self.user(u)?;
                (u.environment, u.name.clone())
            }
            Grantee::Group(g) => {
                let g = self.group(g)?;
                (g.environment, self.group_name(g))
            }
            Grantee::Organisation(o) => {
                let o = self.organisation(o)?;
                (o.environment, o.name.clone())
            }
        };
        if self.world.reaches(environment, doc.environment) {
            Ok(())
        } else {
            Err(CommandError::PartnershipRequired(format!(
                "{name} belongs to {}, which has no active partnership with {}",
                self.env_name(environment),
                self.env_name(doc.environment)
            )))
        }
    }

    /// A group's name, or a neutral phrase when the actor knows it only by id.
    pub(crate) fn group_name(&self, group: &Group) -> String {
        if self.sees.allows(|vis| vis.group(group.id)) {
            group.name.clone()
        } else {
            "that group".to_string()
        }
    }
}

/// Who is told of a document's events: whoever can view it; of a share, whoever
/// can view the document and knows the grantee.
pub(crate) fn sees(vis: &Visibility, event: &Event) -> bool {
    match event {
        Event::DocumentAdded { document } => vis.document(document.id),
        Event::DocumentDeleted { document } => vis.document(*document),
        Event::ShareGranted { share } => vis.document(share.document) && vis.grantee(share.grantee),
        Event::ShareRevoked { document, grantee } => {
            vis.document(*document) && vis.grantee(*grantee)
        }
        _ => false,
    }
}
