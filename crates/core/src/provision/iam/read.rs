//! Reading what IAM holds for user and role `NAME` (and the caller's partition and account).

use super::{SdkIam, decode_policy, is, tags};
use aws_sdk_iam::error::ProvideErrorMetadata;

use crate::Error;
use crate::provision::{Entity, State};
use crate::sts::{SdkSts, Sts};

impl SdkIam {
    /// User and role `name` with everything setup and teardown look at. The partition and
    /// account come from the caller's identity.
    pub async fn read(&self, sts: &SdkSts, name: &str) -> Result<State, Error> {
        let caller = sts.caller_arn().await?;
        let parts: Vec<&str> = caller.split(':').collect();
        let mut s = State {
            partition: parts.get(1).copied().unwrap_or("aws").to_owned(),
            account: parts.get(4).copied().unwrap_or_default().to_owned(),
            ..State::default()
        };
        match self.client.get_user().user_name(name).send().await {
            Ok(out) => {
                let u = out.user();
                let mut e = Entity {
                    arn: u.map(|u| u.arn().to_owned()).unwrap_or_default(),
                    ..Entity::default()
                };
                let t = self
                    .client
                    .list_user_tags()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListUserTags"))?;
                e.tags = tags(t.tags());
                let names = self
                    .client
                    .list_user_policies()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListUserPolicies"))?;
                for p in names.policy_names() {
                    let doc = self
                        .client
                        .get_user_policy()
                        .user_name(name)
                        .policy_name(p)
                        .send()
                        .await
                        .map_err(self.err("GetUserPolicy"))?;
                    e.inline
                        .insert(p.clone(), decode_policy(doc.policy_document()));
                }
                let att = self
                    .client
                    .list_attached_user_policies()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListAttachedUserPolicies"))?;
                e.attached = att
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned))
                    .collect();
                let keys = self
                    .client
                    .list_access_keys()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListAccessKeys"))?;
                s.access_keys = keys
                    .access_key_metadata()
                    .iter()
                    .filter_map(|k| k.access_key_id().map(str::to_owned))
                    .collect();
                let mfa = self
                    .client
                    .list_mfa_devices()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListMFADevices"))?;
                s.mfa_devices = mfa
                    .mfa_devices()
                    .iter()
                    .map(|d| d.serial_number().to_owned())
                    .collect();
                let groups = self
                    .client
                    .list_groups_for_user()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListGroupsForUser"))?;
                s.groups = groups
                    .groups()
                    .iter()
                    .map(|g| g.group_name().to_owned())
                    .collect();
                s.login_profile = match self.client.get_login_profile().user_name(name).send().await
                {
                    Ok(_) => true,
                    Err(e) if is(e.code(), "NoSuchEntity") => false,
                    Err(e) => return Err(self.err("GetLoginProfile")(e)),
                };
                s.user = Some(e);
            }
            Err(e) if is(e.code(), "NoSuchEntity") => {}
            Err(e) => return Err(self.err("GetUser")(e)),
        }
        let unassigned = self
            .client
            .list_virtual_mfa_devices()
            .assignment_status(aws_sdk_iam::types::AssignmentStatusType::Unassigned)
            .send()
            .await
            .map_err(self.err("ListVirtualMFADevices"))?;
        let wanted = format!(":mfa/{name}");
        s.unassigned_mfa = unassigned
            .virtual_mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_owned())
            .find(|serial| serial.ends_with(&wanted));
        match self.client.get_role().role_name(name).send().await {
            Ok(out) => {
                let r = out.role();
                let mut e = Entity {
                    arn: r.map(|r| r.arn().to_owned()).unwrap_or_default(),
                    ..Entity::default()
                };
                s.trust = r
                    .and_then(|r| r.assume_role_policy_document())
                    .map(decode_policy);
                s.max_session_seconds = r.and_then(|r| r.max_session_duration()).map(|d| d as u32);
                let t = self
                    .client
                    .list_role_tags()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListRoleTags"))?;
                e.tags = tags(t.tags());
                let names = self
                    .client
                    .list_role_policies()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListRolePolicies"))?;
                for p in names.policy_names() {
                    let doc = self
                        .client
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(p)
                        .send()
                        .await
                        .map_err(self.err("GetRolePolicy"))?;
                    e.inline
                        .insert(p.clone(), decode_policy(doc.policy_document()));
                }
                let att = self
                    .client
                    .list_attached_role_policies()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(self.err("ListAttachedRolePolicies"))?;
                e.attached = att
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned))
                    .collect();
                s.role = Some(e);
            }
            Err(e) if is(e.code(), "NoSuchEntity") => {}
            Err(e) => return Err(self.err("GetRole")(e)),
        }
        Ok(s)
    }
}
