//! IAM setup and teardown as plans: what `setup NAME` wants (a user allowed to assume one
//! role, that role, its access policy, a key, optionally a virtual MFA device), what IAM
//! holds now, and the changes between the two. Computing the changes is pure and
//! unit-tested; `iam` reads the state and applies them.
//!
//! Least privilege (ARCHITECTURE.md, "IAM provisioning facts"): the user may call
//! `sts:AssumeRole` on its one role and nothing else; the role trusts that user's exact ARN.
//! Everything created is tagged `tempcreds:managed-by=tempcreds`, so that teardown finds it
//! without a state file and never touches what it did not create.

pub mod iam;
pub mod retry;
#[cfg(test)]
mod tests;
pub mod totp;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};

pub const MANAGED_TAG: &str = "tempcreds:managed-by";
pub const MANAGED_VALUE: &str = "tempcreds";
/// The credentials-file profile setup wrote, so that teardown removes it.
pub const PROFILE_TAG: &str = "tempcreds:profile";
/// The user's one inline policy: sts:AssumeRole on the role.
pub const USER_POLICY: &str = "tempcreds-assume-role";
/// The role's inline access policy (from --policy-file).
pub const ROLE_POLICY: &str = "tempcreds-access";

/// What `setup` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub name: String,
    /// The inline access policy, as parsed JSON.
    pub access_policy: Option<Value>,
    pub policy_arns: Vec<String>,
    pub max_session_seconds: u32,
    pub require_mfa: bool,
    pub profile: String,
    /// Adopt a same-named user or role that tempcreds did not create.
    pub force: bool,
}

/// An IAM user or role as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entity {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub inline: BTreeMap<String, Value>,
    pub attached: Vec<String>,
}

impl Entity {
    pub fn managed(&self) -> bool {
        self.tags.get(MANAGED_TAG).map(String::as_str) == Some(MANAGED_VALUE)
    }
}

/// Everything setup and teardown look at, read from IAM (and the credentials file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    pub partition: String,
    pub account: String,
    pub user: Option<Entity>,
    pub access_keys: Vec<String>,
    /// MFA devices enabled for the user (serials).
    pub mfa_devices: Vec<String>,
    /// A virtual MFA device named like the user but assigned to no one (setup stopped
    /// between creating and enabling it): its seed is lost, so it is replaced.
    pub unassigned_mfa: Option<String>,
    pub groups: Vec<String>,
    pub login_profile: bool,
    pub role: Option<Entity>,
    pub trust: Option<Value>,
    pub max_session_seconds: Option<u32>,
    /// The access key id in the credentials-file profile, if that profile exists.
    pub profile_key: Option<String>,
    /// The access key id the key store holds for that profile, if any.
    pub stored_key: Option<String>,
}

/// One step of setup, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateUser,
    TagUser,
    PutUserPolicy(Value),
    CreateRole { trust: Value },
    UpdateTrust(Value),
    SetMaxSession(u32),
    TagRole,
    PutRolePolicy(Value),
    DeleteRolePolicy,
    AttachRolePolicy(String),
    DetachRolePolicy(String),
    DeleteUnassignedMfa(String),
    CreateMfaDevice,
    CreateAccessKey,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateUser => write!(f, "create the user"),
            Change::TagUser => write!(f, "tag the user as managed by tempcreds"),
            Change::PutUserPolicy(_) => write!(
                f,
                "set the user's policy {USER_POLICY} (sts:AssumeRole on the role only)"
            ),
            Change::CreateRole { .. } => write!(f, "create the role, trusting the user"),
            Change::UpdateTrust(_) => write!(f, "update the role's trust policy"),
            Change::SetMaxSession(s) => write!(f, "set the role's MaxSessionDuration to {s} s"),
            Change::TagRole => write!(f, "tag the role as managed by tempcreds"),
            Change::PutRolePolicy(_) => write!(f, "set the role's access policy {ROLE_POLICY}"),
            Change::DeleteRolePolicy => write!(
                f,
                "delete the role's access policy {ROLE_POLICY} (none was given)"
            ),
            Change::AttachRolePolicy(a) => write!(f, "attach {a} to the role"),
            Change::DetachRolePolicy(a) => write!(f, "detach {a} from the role"),
            Change::DeleteUnassignedMfa(s) => write!(f, "delete the unfinished MFA device {s}"),
            Change::CreateMfaDevice => {
                write!(f, "create and enable a virtual MFA device (two codes)")
            }
            Change::CreateAccessKey => {
                write!(f, "create an access key (into the credentials file)")
            }
        }
    }
}

/// Why setup cannot go on (exit 2, nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{kind} {name} exists and was not created by tempcreds (no {MANAGED_TAG} tag)")]
    NotManaged { kind: &'static str, name: String },
    #[error(
        "user {name} already has two access keys (IAM's limit) and profile {profile} holds neither"
    )]
    TwoKeys { name: String, profile: String },
}

pub fn user_arn(s: &State, name: &str) -> String {
    s.user
        .as_ref()
        .map(|u| u.arn.clone())
        .unwrap_or_else(|| format!("arn:{}:iam::{}:user/{name}", s.partition, s.account))
}

pub fn role_arn(s: &State, name: &str) -> String {
    s.role
        .as_ref()
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| format!("arn:{}:iam::{}:role/{name}", s.partition, s.account))
}

/// `aws:MultiFactorAuthPresent` must be true (ARCHITECTURE.md).
fn mfa_condition(require: bool) -> Option<Value> {
    require.then(|| json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
}

fn statement(mut s: Value, require_mfa: bool) -> Value {
    if let Some(c) = mfa_condition(require_mfa) {
        s["Condition"] = c;
    }
    json!({"Version": "2012-10-17", "Statement": [s]})
}

/// The user's policy: sts:AssumeRole on this one role (not `sts:Assume*` on `*`).
pub fn user_policy(role_arn: &str, require_mfa: bool) -> Value {
    statement(
        json!({"Sid": "AssumeOneRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}),
        require_mfa,
    )
}

/// The role's trust policy: the user's exact ARN.
pub fn trust_policy(user_arn: &str, require_mfa: bool) -> Value {
    statement(
        json!({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}),
        require_mfa,
    )
}

/// The changes that bring `state` to `want`, in order. Empty when all is in line.
pub fn plan(want: &Desired, state: &State) -> Result<Vec<Change>, Refusal> {
    let name = &want.name;
    let mut out = Vec::new();
    for (kind, entity) in [("user", &state.user), ("role", &state.role)] {
        if let Some(e) = entity
            && !e.managed()
            && !want.force
        {
            return Err(Refusal::NotManaged {
                kind,
                name: name.clone(),
            });
        }
    }
    let tags_ok = |e: &Entity, profile: bool| {
        e.managed() && (!profile || e.tags.get(PROFILE_TAG) == Some(&want.profile))
    };
    match &state.user {
        None => out.push(Change::CreateUser),
        Some(u) if !tags_ok(u, true) => out.push(Change::TagUser),
        Some(_) => {}
    }
    let user_doc = user_policy(&role_arn(state, name), want.require_mfa);
    if state.user.as_ref().and_then(|u| u.inline.get(USER_POLICY)) != Some(&user_doc) {
        out.push(Change::PutUserPolicy(user_doc));
    }
    let trust = trust_policy(&user_arn(state, name), want.require_mfa);
    match &state.role {
        None => out.push(Change::CreateRole { trust }),
        Some(r) => {
            if state.trust.as_ref() != Some(&trust) {
                out.push(Change::UpdateTrust(trust));
            }
            if !tags_ok(r, false) {
                out.push(Change::TagRole);
            }
        }
    }
    if state.role.is_none() || state.max_session_seconds != Some(want.max_session_seconds) {
        out.push(Change::SetMaxSession(want.max_session_seconds));
    }
    let role = state.role.clone().unwrap_or_default();
    match (&want.access_policy, role.inline.get(ROLE_POLICY)) {
        (Some(w), current) if current != Some(w) => out.push(Change::PutRolePolicy(w.clone())),
        (None, Some(_)) => out.push(Change::DeleteRolePolicy),
        _ => {}
    }
    for arn in &want.policy_arns {
        if !role.attached.contains(arn) {
            out.push(Change::AttachRolePolicy(arn.clone()));
        }
    }
    for arn in &role.attached {
        if !want.policy_arns.contains(arn) {
            out.push(Change::DetachRolePolicy(arn.clone()));
        }
    }
    if want.require_mfa && state.mfa_devices.is_empty() {
        if let Some(serial) = &state.unassigned_mfa {
            out.push(Change::DeleteUnassignedMfa(serial.clone()));
        }
        out.push(Change::CreateMfaDevice);
    }
    let key_in_profile = state
        .profile_key
        .as_ref()
        .is_some_and(|k| state.access_keys.contains(k));
    if !key_in_profile {
        if state.access_keys.len() >= 2 {
            return Err(Refusal::TwoKeys {
                name: name.clone(),
                profile: want.profile.clone(),
            });
        }
        out.push(Change::CreateAccessKey);
    }
    Ok(out)
}

/// One step of teardown, in the order IAM requires (ARCHITECTURE.md: before DeleteUser, its
/// keys, MFA devices, policies, groups and login profile go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    AccessKey(String),
    MfaDevice(String),
    UnassignedMfa(String),
    UserPolicy(String),
    UserAttached(String),
    Group(String),
    LoginProfile,
    User,
    RolePolicy(String),
    RoleAttached(String),
    Role,
    /// The credentials-file profile holding one of the deleted keys.
    Profile(String),
    /// The key store's entry holding one of the deleted keys (and the profile's
    /// `credential_process` line that names it).
    StoredKey(String),
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Removal::AccessKey(k) => write!(f, "delete access key {k}"),
            Removal::MfaDevice(s) => write!(f, "deactivate and delete MFA device {s}"),
            Removal::UnassignedMfa(s) => write!(f, "delete the unassigned MFA device {s}"),
            Removal::UserPolicy(p) => write!(f, "delete the user's inline policy {p}"),
            Removal::UserAttached(a) => write!(f, "detach {a} from the user"),
            Removal::Group(g) => write!(f, "remove the user from group {g}"),
            Removal::LoginProfile => write!(f, "delete the user's console password"),
            Removal::User => write!(f, "delete the user"),
            Removal::RolePolicy(p) => write!(f, "delete the role's inline policy {p}"),
            Removal::RoleAttached(a) => write!(f, "detach {a} from the role"),
            Removal::Role => write!(f, "delete the role"),
            Removal::Profile(p) => write!(f, "remove profile {p} from the credentials file"),
            Removal::StoredKey(p) => write!(
                f,
                "remove the stored key of profile {p} and its credential_process line"
            ),
        }
    }
}

/// What teardown removes: everything of a managed user and role (or, with `force`, of
/// unmanaged ones too), nothing when neither exists.
pub fn teardown(name: &str, state: &State, force: bool) -> Result<Vec<Removal>, Refusal> {
    let mut out = Vec::new();
    for (kind, entity) in [("user", &state.user), ("role", &state.role)] {
        if let Some(e) = entity
            && !e.managed()
            && !force
        {
            return Err(Refusal::NotManaged {
                kind,
                name: name.to_owned(),
            });
        }
    }
    if let Some(u) = &state.user {
        out.extend(state.access_keys.iter().cloned().map(Removal::AccessKey));
        out.extend(state.mfa_devices.iter().cloned().map(Removal::MfaDevice));
        out.extend(u.inline.keys().cloned().map(Removal::UserPolicy));
        out.extend(u.attached.iter().cloned().map(Removal::UserAttached));
        out.extend(state.groups.iter().cloned().map(Removal::Group));
        if state.login_profile {
            out.push(Removal::LoginProfile);
        }
        out.push(Removal::User);
        if let (Some(p), Some(k)) = (u.tags.get(PROFILE_TAG), &state.profile_key)
            && state.access_keys.contains(k)
        {
            out.push(Removal::Profile(p.clone()));
        }
        if let (Some(p), Some(k)) = (u.tags.get(PROFILE_TAG), &state.stored_key)
            && state.access_keys.contains(k)
        {
            out.push(Removal::StoredKey(p.clone()));
        }
    }
    out.extend(
        state
            .unassigned_mfa
            .iter()
            .cloned()
            .map(Removal::UnassignedMfa),
    );
    if let Some(r) = &state.role {
        out.extend(r.inline.keys().cloned().map(Removal::RolePolicy));
        out.extend(r.attached.iter().cloned().map(Removal::RoleAttached));
        out.push(Removal::Role);
    }
    Ok(out)
}
