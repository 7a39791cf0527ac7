//! IAM on the official SDK: reading the state of user and role `NAME`, and applying the
//! changes of a setup or teardown plan. Errors become one line with a hint (the STS error
//! mapper, told the service is IAM); no secret reaches an error or a log.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::Tag;
use secrecy::SecretString;
use serde_json::Value;
use tracing::debug;

use super::{
    Change, Entity, MANAGED_TAG, MANAGED_VALUE, PROFILE_TAG, ROLE_POLICY, Removal, State,
    USER_POLICY,
};
use crate::sts::{Context, RawBody, SdkSts, Sts, from_sdk};
use crate::{Credentials, Error, Origin};

/// An IAM client signing as the caller of `sts` (the administrator running setup).
pub struct SdkIam {
    client: Client,
    secrets: Vec<SecretString>,
    /// Told when a retry starts waiting for IAM (the CLI shows it by its spinner).
    waiting: Box<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for SdkIam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdkIam")
    }
}

/// What applying a change produced that the caller needs.
#[derive(Debug)]
pub enum Made {
    Nothing,
    Key(Credentials),
    /// A virtual MFA device, not yet enabled: its serial and seed.
    Device {
        serial: String,
        seed: super::totp::Seed,
    },
}

fn is(code: Option<&str>, want: &str) -> bool {
    code == Some(want)
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn decode_policy(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or(Value::Null)
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn tag(k: &str, v: &str) -> Result<Tag, Error> {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .map_err(|e| Error::Transport {
            message: format!("could not build a tag: {e}"),
            hint: None,
        })
}

impl SdkIam {
    pub fn new(sts: &SdkSts, waiting: Box<dyn Fn(&str) + Send + Sync>) -> Self {
        Self {
            client: Client::new(sts.sdk_config()),
            secrets: sts.secrets().to_vec(),
            waiting,
        }
    }

    pub fn waiting(&self) -> &(dyn Fn(&str) + Send + Sync) {
        self.waiting.as_ref()
    }

    fn err<E, R>(&self, operation: &'static str) -> impl Fn(SdkError<E, R>) -> Error + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + RawBody,
    {
        move |e| {
            from_sdk(
                e,
                &Context {
                    service: "IAM",
                    operation,
                    region: "global",
                    role_arn: None,
                    duration: None,
                    mfa: false,
                    secrets: &self.secrets,
                },
            )
        }
    }

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

    /// Applies one setup change. `state` gives the ARNs (the user's exists once created).
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
            Change::PutRolePolicy(doc) => {
                c.put_role_policy()
                    .role_name(name)
                    .policy_name(ROLE_POLICY)
                    .policy_document(doc.to_string())
                    .send()
                    .await
                    .map_err(self.err("PutRolePolicy"))?;
            }
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
                    .map(|b| super::totp::Seed::new(&String::from_utf8_lossy(b.as_ref())))
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
                let out = c
                    .create_access_key()
                    .user_name(name)
                    .send()
                    .await
                    .map_err(self.err("CreateAccessKey"))?;
                let k = out.access_key().ok_or_else(|| Error::Transport {
                    message: "CreateAccessKey returned no key".into(),
                    hint: None,
                })?;
                return Ok(Made::Key(Credentials {
                    access_key_id: k.access_key_id().to_owned(),
                    secret_access_key: SecretString::from(k.secret_access_key()),
                    session_token: None,
                    expiration: None,
                    origin: Origin::LongTerm,
                }));
            }
        }
        Ok(Made::Nothing)
    }

    /// CreateRole, retried while IAM does not yet know the just-created user named in the
    /// trust policy ("Invalid principal in policy": IAM is eventually consistent).
    async fn create_role(&self, name: &str, trust: &Value) -> Result<(), Error> {
        let doc = trust.to_string();
        super::retry::until_consistent(
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
            Removal::Profile(_) => Ok(()), // the credentials file: the caller's job
        }
    }
}
