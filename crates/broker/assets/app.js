// The broker's web page: sign in with a token (kept by the broker in an HttpOnly cookie,
// never in page storage), list the granted roles with "Open console" links, fetch keys with
// copy buttons and export snippets, and count down to their expiry.
"use strict";

const $ = (id) => document.getElementById(id);
let keys = null;
let shell = "bash";
let timer = null;

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  const data = resp.headers.get("content-type")?.includes("json") ? await resp.json() : null;
  if (!resp.ok) throw new Error((data && data.error) || resp.statusText);
  return data;
}

function human(seconds) {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  const parts = [[h, "h"], [m, "m"], [s, "s"]].filter(([n]) => n > 0).map(([n, u]) => n + u);
  return parts.length ? parts.join(" ") : "0s";
}

// Single quotes need escaping only in the shell's own way; keys and tokens are base64-ish.
function snippet() {
  if (!keys) return "";
  const v = { AWS_ACCESS_KEY_ID: keys.AccessKeyId, AWS_SECRET_ACCESS_KEY: keys.SecretAccessKey, AWS_SESSION_TOKEN: keys.SessionToken };
  const lines = Object.entries(v).map(([k, x]) => {
    if (shell === "fish") return `set -gx ${k} '${x}'`;
    if (shell === "powershell") return `$Env:${k} = '${x.replace(/'/g, "''")}'`;
    return `export ${k}='${x}'`;
  });
  return lines.join("\n");
}

function showSnippet() { $("snippet").textContent = snippet(); }

function tick() {
  if (!keys) return;
  const left = Math.max(0, Math.round((Date.parse(keys.Expiration) - Date.now()) / 1000));
  $("countdown").textContent = left > 0 ? human(left) : "expired — get new keys";
}

async function getKeys(role) {
  $("error").textContent = "";
  try {
    keys = await api("POST", "/v1/credentials/" + encodeURIComponent(role));
  } catch (e) {
    $("error").textContent = e.message;
    return;
  }
  $("keys-role").textContent = role;
  $("k-id").textContent = keys.AccessKeyId;
  $("k-secret").textContent = keys.SecretAccessKey;
  $("k-token").textContent = keys.SessionToken;
  $("expiry").textContent = new Date(keys.Expiration).toLocaleString();
  showSnippet();
  tick();
  clearInterval(timer);
  timer = setInterval(tick, 1000);
  $("keys").hidden = false;
}

// The grant's course window, in the reader's local time ("" when it has none).
function windowText(r) {
  const at = (t) => new Date(t).toLocaleString();
  if (r.not_before && r.not_after) return at(r.not_before) + " – " + at(r.not_after);
  if (r.not_after) return "until " + at(r.not_after);
  if (r.not_before) return "from " + at(r.not_before);
  return "always";
}

function roleRow(r) {
  const tr = document.createElement("tr");
  const cells = [r.name, r.arn, human(r.max_duration_seconds), windowText(r)];
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  const actions = document.createElement("td");
  const open = document.createElement("a");
  open.className = "button";
  open.href = "/v1/console/" + encodeURIComponent(r.name);
  open.target = "_blank";
  open.rel = "noopener noreferrer";
  open.textContent = "Open console";
  const get = document.createElement("button");
  get.className = "secondary";
  get.textContent = "Get keys";
  get.addEventListener("click", () => getKeys(r.name));
  actions.append(open, " ", get);
  tr.appendChild(actions);
  return tr;
}

async function showMe() {
  let me;
  try {
    me = await api("GET", "/v1/me");
  } catch (e) {
    $("signin").hidden = false;
    $("roles").hidden = true;
    return;
  }
  $("who").textContent = me.name + (me.admin ? " (admin)" : "");
  $("signin").hidden = true;
  $("roles").hidden = false;
  const rows = $("role-rows");
  rows.replaceChildren(...me.roles.map(roleRow));
  if (me.roles.length === 0) rows.innerHTML = "<tr><td colspan=5>No roles granted yet.</td></tr>";
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  try {
    await api("POST", "/v1/login", { token: $("token").value.trim() });
    $("token").value = "";
    await showMe();
  } catch (e) {
    $("signin-error").textContent = e.message;
  }
});

$("signout").addEventListener("click", async () => {
  await api("POST", "/v1/logout");
  keys = null;
  clearInterval(timer);
  $("keys").hidden = true;
  $("who").textContent = "";
  await showMe();
});

document.querySelectorAll("[data-shell]").forEach((b) =>
  b.addEventListener("click", () => { shell = b.dataset.shell; showSnippet(); }));
document.querySelectorAll("[data-copy]").forEach((b) =>
  b.addEventListener("click", async () => {
    await navigator.clipboard.writeText($(b.dataset.copy).textContent);
    const was = b.textContent;
    b.textContent = "Copied";
    setTimeout(() => { b.textContent = was; }, 1200);
  }));

showMe();
