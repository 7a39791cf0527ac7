//! The Rust SDK as a consumer, for the end-to-end tests: resolves credentials for
//! `AWS_PROFILE` through aws-config's own default chain (its SSO provider reads the token
//! cache) and prints the provider's name and the access key id. Built by `cargo test`.

use aws_credential_types::provider::ProvideCredentials;

fn main() -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let Some(provider) = config.credentials_provider() else {
            eprintln!("no credentials provider");
            return std::process::ExitCode::FAILURE;
        };
        match provider.provide_credentials().await {
            Ok(c) => {
                println!("{}", c.access_key_id());
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                );
                std::process::ExitCode::FAILURE
            }
        }
    })
}
