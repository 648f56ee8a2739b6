//! An audit entry's command as a sentence that names what it acted on, with
//! the names the reader's projection holds ("a document" where it holds none:
//! the log never names more than the reader may see).

use preflight_core::{Command, Grantee, World};

/// `command` in words, naming its object.
pub fn describe(command: &Command, world: &World) -> String {
    let user = |id| world.name_of(id).unwrap_or("a user").to_string();
    let org = |id| {
        world
            .organisation(id)
            .map_or_else(|| "an organisation".to_string(), |o| o.name.clone())
    };
    let doc = |id| {
        world
            .document(id)
            .map_or_else(|| "a document".to_string(), |d| d.name.clone())
    };
    let group = |id| {
        world
            .group(id)
            .map_or_else(|| "a group".to_string(), |g| g.name.clone())
    };
    let env = |id| {
        world
            .environment(id)
            .map_or_else(|| "another environment".to_string(), |e| e.name.clone())
    };
    let grantee = |g: &Grantee| match g {
        Grantee::User(u) => user(*u),
        Grantee::Group(g) => format!("the group {}", group(*g)),
        Grantee::Organisation(o) => org(*o),
    };
    let task_doc = |t| {
        world
            .task(t)
            .map_or_else(|| "a document".to_string(), |t| doc(t.document))
    };
    let partner = |p| {
        let home = world
            .viewer()
            .and_then(|v| world.user(v))
            .map(|u| u.environment);
        world.partnership(p).map_or_else(
            || "a partner".to_string(),
            |p| {
                env(if Some(p.requester) == home {
                    p.accepter
                } else {
                    p.requester
                })
            },
        )
    };
    match command {
        Command::SignUp {
            environment_name, ..
        } => format!("Signed up {environment_name}"),
        Command::InviteUser { email, role, .. } => format!("Invited {email} as {role:?}"),
        Command::AcceptInvitation { .. } => "Accepted an invitation".into(),
        Command::RevokeInvitation { .. } => "Revoked an invitation".into(),
        Command::AssignRole { user: u, role } => format!("Made {} {role:?}", user(*u)),
        Command::SetRelationshipManager { user: u, enabled } => format!(
            "{} the relationship-manager role of {}",
            if *enabled { "Gave" } else { "Took away" },
            user(*u)
        ),
        Command::DisableUser { user: u } => format!("Disabled {}", user(*u)),
        Command::EnableUser { user: u } => format!("Enabled {}", user(*u)),
        Command::SetPlan { environment, plan } => {
            format!("Set the plan of {} to {plan}", env(*environment))
        }
        Command::SetAddOn {
            environment,
            add_on,
            enabled,
        } => format!(
            "{} {add_on:?} for {}",
            if *enabled { "Enabled" } else { "Disabled" },
            env(*environment)
        ),
        Command::TopUpCredit {
            environment,
            amount,
        } => format!("Topped up {} by {amount}", env(*environment)),
        Command::AddOrganisation { name, .. } => format!("Added the organisation {name}"),
        Command::RenameOrganisation { organisation, name } if name.is_empty() => {
            format!("Renamed {}", org(*organisation))
        }
        Command::RenameOrganisation { organisation, name } => {
            format!("Renamed {} to {name}", org(*organisation))
        }
        Command::ActivateOrganisation { organisation } => {
            format!("Activated {} on Peppol", org(*organisation))
        }
        Command::RetrieveConnectionKey { organisation } => {
            format!("Retrieved a connection key for {}", org(*organisation))
        }
        Command::RevokeConnectionKey { .. } => "Revoked a connection key".into(),
        Command::ConfigureSoftwareConnection {
            organisation,
            software,
        } if software.is_empty() => {
            format!("Connected accounting software to {}", org(*organisation))
        }
        Command::ConfigureSoftwareConnection {
            organisation,
            software,
        } => format!("Connected {software} to {}", org(*organisation)),
        Command::AddMember {
            organisation,
            user: u,
            role,
        } => format!("Made {} {role:?} of {}", user(*u), org(*organisation)),
        Command::ChangeMemberRole {
            organisation,
            user: u,
            role,
        } => format!("Made {} {role:?} of {}", user(*u), org(*organisation)),
        Command::RemoveMember {
            organisation,
            user: u,
        } => format!("Removed {} from {}", user(*u), org(*organisation)),
        Command::SendAuthorisationRequest { email } => format!("Asked {email} for authorisation"),
        Command::ProposePartnership { environment } => {
            format!("Proposed a partnership to {}", env(*environment))
        }
        Command::AcceptPartnershipRequest { .. } => "Accepted a partnership request".into(),
        Command::DeclinePartnershipRequest { .. } => "Declined a partnership request".into(),
        Command::WithdrawPartnershipRequest { .. } => "Withdrew a partnership request".into(),
        Command::EndPartnership { partnership } => {
            format!("Ended the partnership with {}", partner(*partnership))
        }
        Command::ConnectRelationshipManager {
            partnership,
            user: u,
        } => format!(
            "Connected {} to the partnership with {}",
            user(*u),
            partner(*partnership)
        ),
        Command::DisconnectRelationshipManager {
            partnership,
            user: u,
        } => format!(
            "Disconnected {} from the partnership with {}",
            user(*u),
            partner(*partnership)
        ),
        Command::TakeOnCosts { organisation } => {
            format!("Took on the costs of {}", org(*organisation))
        }
        Command::ReleaseCosts { organisation } => {
            format!("Released the costs of {}", org(*organisation))
        }
        Command::UploadDocument {
            organisation, name, ..
        } if name.is_empty() => format!("Uploaded a document to {}", org(*organisation)),
        Command::UploadDocument {
            organisation, name, ..
        } => format!("Uploaded {name} to {}", org(*organisation)),
        Command::DeleteDocument { document } => format!("Deleted {}", doc(*document)),
        Command::ShareDocument {
            document,
            grantee: g,
            level,
        } => format!("Shared {} with {} ({level})", doc(*document), grantee(g)),
        Command::UnshareDocument {
            document,
            grantee: g,
        } => format!("Stopped sharing {} with {}", doc(*document), grantee(g)),
        Command::SendDocument { document, to } if to.is_empty() => {
            format!("Sent {}", doc(*document))
        }
        Command::SendDocument { document, to } => format!("Sent {} to {to}", doc(*document)),
        Command::ReceiveDocument { to, name, .. } => format!("Received {name} for {to}"),
        Command::CreateGroup { name } => format!("Created the group {name}"),
        Command::RenameGroup { group: g, name } if name.is_empty() => {
            format!("Renamed the group {}", group(*g))
        }
        Command::RenameGroup { group: g, name } => {
            format!("Renamed the group {} to {name}", group(*g))
        }
        Command::DeleteGroup { group: g } => format!("Deleted the group {}", group(*g)),
        Command::AddGroupMember { group: g, user: u } => {
            format!("Added {} to {}", user(*u), group(*g))
        }
        Command::RemoveGroupMember { group: g, user: u } => {
            format!("Removed {} from {}", user(*u), group(*g))
        }
        Command::StartApprovalTask {
            document, assignee, ..
        } => format!("Asked {} to approve {}", user(*assignee), doc(*document)),
        Command::ApproveTask { task, .. } => format!("Approved {}", task_doc(*task)),
        Command::RejectTask { task, .. } => format!("Rejected {}", task_doc(*task)),
        Command::DelegateTask { task, to } => format!(
            "Delegated the approval of {} to {}",
            task_doc(*task),
            user(*to)
        ),
        Command::ApplyAccessPlan { .. } => "Applied a split's access plan".into(),
        Command::ExportOrganisation { organisation, .. } => {
            format!("Exported {}", org(*organisation))
        }
        Command::AuthoriseRemoval { organisation, .. } => {
            format!("Authorised the removal of {}", org(*organisation))
        }
        Command::ExecuteRemoval { organisation } => format!("Removed {}", org(*organisation)),
        Command::ImportBundle {
            organisation,
            documents,
            ..
        } => format!(
            "Imported {} document(s) into {}",
            documents.len(),
            org(*organisation)
        ),
    }
}
