//! Applying setup changes and teardown removals, with CreateRole retried while IAM does not
//! yet know the just-created user.

use aws_sdk_iam::error::ProvideErrorMetadata;
use serde_json::Value;
use tracing::debug;

use super::{Made, SdkIam, is, tag};
use crate::Error;
use crate::provision::{
    Change, MANAGED_TAG, MANAGED_VALUE, PROFILE_TAG, ROLE_POLICY, Removal, USER_POLICY,
};

impl SdkIam {
    /// Applies one setup change.
    pub async fn apply(&self, name: &str, profile: &str, change: &Change) -> Result<Made, Error> {
        debug!(%change, "iam");
        let c = &self.client;
        let managed = tag(MANAGED_TAG, MANAGED_VALUE)?;
        match change {
            Change::CreateUser => {
                c.create_user()
                    .user_name(name)
                    .tags(managed)
                    .tags(tag(PROFILE_TAG, profile)?)
                    .send()
                    .await
                    .map_err(self.err("CreateUser"))?;
            }
            Change::TagUser => {
                c.tag_user()
                    .user_name(name)
                    .tags(managed)
                    .tags(tag(PROFILE_TAG, profile)?)
                    .send()
                    .await
                    .map_err(self.err("TagUser"))?;
            }
            Change::PutUserPolicy(doc) => {
                c.put_user_policy()
                    .user_name(name)
                    .policy_name(USER_POLICY)
                    .policy_document(doc.to_string())
                    .send()
                    .await
                    .map_err(self.err("PutUserPolicy"))?;
            }
            Change::CreateRole { trust } => self.create_role(name, trust).await?,
            Change::UpdateTrust(doc) => {
                c.update_assume_role_policy()
                    .role_name(name)
                    .policy_document(doc.to_string())
                    .send()
                    .await
                    .map_err(self.err("UpdateAssumeRolePolicy"))?;
            }
            Change::SetMaxSession(secs) => {
                c.update_role()
                    .role_name(name)
                    .max_session_duration(*secs as i32)
                    .send()
                    .await
                    .map_err(self.err("UpdateRole"))?;
            }
            Change::TagRole => {
                c.tag_role()
                    .role_name(name)
                    .tags(managed)
                    .send()
                    .await
                    .map_err(self.err("TagRole"))?;
            }
            Change::PutRolePolicy(doc) => self.put_role_policy(name, ROLE_POLICY, doc).await?,
            Change::DeleteRolePolicy => {
                c.delete_role_policy()
                    .role_name(name)
                    .policy_name(ROLE_POLICY)
                    .send()
                    .await
                    .map_err(self.err("DeleteRolePolicy"))?;
            }
            Change::AttachRolePolicy(arn) => {
                c.attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(self.err("AttachRolePolicy"))?;
            }
            Change::DetachRolePolicy(arn) => {
                c.detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(self.err("DetachRolePolicy"))?;
            }
            Change::DeleteUnassignedMfa(serial) => {
                c.delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
                    .await
                    .map_err(self.err("DeleteVirtualMFADevice"))?;
            }
            Change::CreateMfaDevice => {
                let out = c
                    .create_virtual_mfa_device()
                    .virtual_mfa_device_name(name)
                    .tags(managed)
                    .send()
                    .await
                    .map_err(self.err("CreateVirtualMFADevice"))?;
                let d = out.virtual_mfa_device();
                let seed = d
                    .and_then(|d| d.base32_string_seed())
                    .map(|b| {
                        crate::provision::totp::Seed::new(&String::from_utf8_lossy(b.as_ref()))
                    })
                    .ok_or_else(|| Error::Transport {
                        message: "CreateVirtualMFADevice returned no seed".into(),
                        hint: None,
                    })?;
                return Ok(Made::Device {
                    serial: d.map(|d| d.serial_number().to_owned()).unwrap_or_default(),
                    seed,
                });
            }
            Change::CreateAccessKey => {
                return Ok(Made::Key(self.create_access_key(name).await?.credentials));
            }
        }
        Ok(Made::Nothing)
    }

    /// CreateRole, retried while IAM does not yet know the just-created user named in the
    /// trust policy ("Invalid principal in policy": IAM is eventually consistent).
    async fn create_role(&self, name: &str, trust: &Value) -> Result<(), Error> {
        let doc = trust.to_string();
        crate::provision::retry::until_consistent(
            "the new user to be usable in a trust policy",
            self.waiting(),
            || async {
                match self
                    .client
                    .create_role()
                    .role_name(name)
                    .assume_role_policy_document(&doc)
                    .tags(tag(MANAGED_TAG, MANAGED_VALUE)?)
                    .send()
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e)
                        if is(e.code(), "MalformedPolicyDocument")
                            && e.message().is_some_and(|m| m.contains("Invalid principal")) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(self.err("CreateRole")(e)),
                }
            },
        )
        .await
    }

    /// Puts an inline policy on a role (setup's access policy; the broker's revocation deny).
    pub async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        doc: &Value,
    ) -> Result<(), Error> {
        self.client
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(doc.to_string())
            .send()
            .await
            .map_err(self.err("PutRolePolicy"))?;
        Ok(())
    }

    pub async fn enable_mfa(
        &self,
        name: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), Error> {
        self.client
            .enable_mfa_device()
            .user_name(name)
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2)
            .send()
            .await
            .map_err(self.err("EnableMFADevice"))?;
        Ok(())
    }

    /// Applies one teardown step. Already gone is fine (teardown is idempotent).
    pub async fn remove(&self, name: &str, r: &Removal) -> Result<(), Error> {
        debug!(removal = %r, "iam");
        let c = &self.client;
        let gone = |code: Option<&str>| is(code, "NoSuchEntity");
        macro_rules! run {
            ($req:expr, $op:literal) => {
                match $req.send().await {
                    Ok(_) => Ok(()),
                    Err(e) if gone(e.code()) => Ok(()),
                    Err(e) => Err(self.err($op)(e)),
                }
            };
        }
        match r {
            Removal::AccessKey(k) => run!(
                c.delete_access_key().user_name(name).access_key_id(k),
                "DeleteAccessKey"
            ),
            Removal::MfaDevice(s) => {
                run!(
                    c.deactivate_mfa_device().user_name(name).serial_number(s),
                    "DeactivateMFADevice"
                )?;
                run!(
                    c.delete_virtual_mfa_device().serial_number(s),
                    "DeleteVirtualMFADevice"
                )
            }
            Removal::UnassignedMfa(s) => run!(
                c.delete_virtual_mfa_device().serial_number(s),
                "DeleteVirtualMFADevice"
            ),
            Removal::UserPolicy(p) => run!(
                c.delete_user_policy().user_name(name).policy_name(p),
                "DeleteUserPolicy"
            ),
            Removal::UserAttached(a) => run!(
                c.detach_user_policy().user_name(name).policy_arn(a),
                "DetachUserPolicy"
            ),
            Removal::Group(g) => run!(
                c.remove_user_from_group().user_name(name).group_name(g),
                "RemoveUserFromGroup"
            ),
            Removal::LoginProfile => run!(
                c.delete_login_profile().user_name(name),
                "DeleteLoginProfile"
            ),
            Removal::User => run!(c.delete_user().user_name(name), "DeleteUser"),
            Removal::RolePolicy(p) => run!(
                c.delete_role_policy().role_name(name).policy_name(p),
                "DeleteRolePolicy"
            ),
            Removal::RoleAttached(a) => run!(
                c.detach_role_policy().role_name(name).policy_arn(a),
                "DetachRolePolicy"
            ),
            Removal::Role => run!(c.delete_role().role_name(name), "DeleteRole"),
            Removal::Profile(_) | Removal::StoredKey(_) => Ok(()), // local files and the store: the caller's job
        }
    }
}
