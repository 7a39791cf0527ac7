//! The `tempcreds-broker` binary: everything is in the library (`tempcreds_broker`).

fn main() -> std::process::ExitCode {
    tempcreds_broker::main_with_args()
}
