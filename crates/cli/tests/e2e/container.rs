//! The README's bridge-network recipe for a container, without a Docker engine: network
//! namespaces stand in for Docker's default bridge (a veth pair, the host as the
//! container's gateway). On the "host", `serve --listen 169.254.170.2:PORT` (the ECS
//! address, which the SDKs accept over plain HTTP); in the "container", the AWS CLI and
//! boto3 reach it through their gateway with only the two variables. Nothing outside the
//! namespaces the test creates is touched: they vanish with its processes.

use crate::profiles::profiles_at;
use crate::support::*;

const LAB1: &str = "arn:aws:sts::123456789012:assumed-role/Lab1/alice";

/// Runs as root in a new network namespace (the host): moto on the bridge address, the
/// container a nested namespace behind a veth pair, tempcreds serving on 169.254.170.2.
const SCRIPT: &str = r#"
set -eu
cleanup() { kill $serve $moto $box 2>/dev/null || true; }
serve=; moto=; box=
trap cleanup EXIT
ip link set lo up
ip addr add 169.254.170.2/32 dev lo
"$VENV/bin/moto_server" -H 0.0.0.0 -p "$MOTO_PORT" >/dev/null 2>&1 & moto=$!
unshare -n sleep 120 & box=$!
while [ "$(readlink /proc/$box/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
ip link add veth-host type veth peer name veth-box netns "$box"
ip addr add 172.31.0.1/24 dev veth-host
ip link set veth-host up
nsenter -t "$box" -n sh -c 'ip link set lo up; ip addr add 172.31.0.2/24 dev veth-box; ip link set veth-box up; ip route add default via 172.31.0.1'
until curl -s -o /dev/null "$AWS_ENDPOINT_URL"; do sleep 0.1; done
"$TEMPCREDS" serve lab1 --listen 169.254.170.2:0 > "$WORK/vars" 2> "$WORK/serve.log" & serve=$!
until [ "$(wc -l < "$WORK/vars")" -ge 2 ]; do sleep 0.05; done
. "$WORK/vars"
in_box() {
  nsenter -t "$box" -n env -i PATH="$PATH" HOME="$WORK" AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" \
    AWS_DEFAULT_REGION=eu-west-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    AWS_EC2_METADATA_DISABLED=true \
    AWS_CONTAINER_CREDENTIALS_FULL_URI="$AWS_CONTAINER_CREDENTIALS_FULL_URI" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN="$AWS_CONTAINER_AUTHORIZATION_TOKEN" "$@"
}
echo "uri $AWS_CONTAINER_CREDENTIALS_FULL_URI"
in_box "$VENV/bin/aws" sts get-caller-identity --query Arn --output text
in_box "$VENV/bin/python" -c 'import boto3; s = boto3.Session(); print(s.get_credentials().method); print(s.client("sts").get_caller_identity()["Arn"])'
in_box curl -s -o /dev/null -w '%{http_code}\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI"
"#;

#[test]
fn a_container_behind_a_bridge_reads_the_endpoint_on_the_ecs_address() {
    let moto_port = free_port();
    let endpoint = format!("http://172.31.0.1:{moto_port}");
    let sb = profiles_at(&endpoint);
    let run = Run::of(
        sb.command("unshare")
            .args(["-n", "sh", "-c", SCRIPT])
            .env("VENV", venv())
            .env("MOTO_PORT", moto_port.to_string())
            .env("TEMPCREDS", tempcreds_bin())
            .env("WORK", sb.path(""))
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("uri http://169.254.170.2:"),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines[1..],
        [LAB1, "container-role", LAB1, "401"],
        "{}",
        run.stdout
    );
    let log = std::fs::read_to_string(sb.path("serve.log")).unwrap();
    assert!(log.contains("beyond this machine"), "warned: {log}");
}
