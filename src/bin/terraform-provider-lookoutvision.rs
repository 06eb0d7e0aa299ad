//! `terraform-provider-lookoutvision`: the plugin binary Terraform and OpenTofu start.
#![deny(rust_2018_idioms, unused_must_use)]
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use lookoutvision::plugin::handshake::{HandshakeEnv, HandshakeError};
use lookoutvision::plugin::logging;
use lookoutvision::plugin::server::{self, PluginServer};
use lookoutvision::plugin::transport::NetworkChoice;
use lookoutvision::provider::{LookoutVisionProvider, SOURCE_ADDRESS};

/// Terraform/OpenTofu provider for Amazon Lookout for Vision.
///
/// Terraform starts this binary itself; run it by hand only with --debug.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Serve in plaintext for a debugger and print the TF_REATTACH_PROVIDERS value to export.
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::install_panic_hook();
    logging::init_from_env();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if args.debug {
            serve_debug().await
        } else {
            serve_managed().await
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "The provider failed.");
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_managed() -> anyhow::Result<()> {
    let env = match HandshakeEnv::from_env() {
        Ok(env) => env,
        Err(err @ HandshakeError::NotLaunchedByHost) => {
            eprintln!("{err}");
            std::process::exit(1);
        }
        Err(err) => return Err(err).context("Terraform's plugin handshake failed"),
    };
    server::ignore_interrupts().context("could not ignore Ctrl-C")?;
    let plugin = PluginServer::managed(LookoutVisionProvider, &env)?;
    plugin.announce()?;
    tracing::debug!(handshake = %plugin.handshake_line(), "The provider is serving.");
    plugin.run(server::parent_exited()).await?;
    Ok(())
}

async fn serve_debug() -> anyhow::Result<()> {
    // In debug mode the developer owns the process, so Ctrl-C ends it gracefully. The listener
    // is registered before anything is announced: a Ctrl-C that arrived before the server first
    // polled its shutdown future would otherwise kill the process outright.
    let mut interrupts = server::Interrupts::listen().context("could not listen for Ctrl-C")?;
    let plugin = PluginServer::unmanaged(LookoutVisionProvider, NetworkChoice::Auto)?;
    let reattach = plugin.reattach_config(SOURCE_ADDRESS);
    println!(
        "Provider started in debug mode. To attach Terraform, run in another shell:\n\n\
         \texport TF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Press Ctrl-C to stop the provider."
    );
    plugin
        .run(async move {
            interrupts.recv().await;
        })
        .await?;
    Ok(())
}
