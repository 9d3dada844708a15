//! `dev-server` — serves every function on 127.0.0.1:${PORT:-3000} (see the crate docs).
//! `dev-server token [SUB]` prints a dev token and exits.
//! `dev-server create-table` waits for DynamoDB Local, creates the table if missing, and exits
//! (for `make sam-local`, whose functions run in containers).

use std::process::ExitCode;

use dev_server::{
    DEMO_USER, LocalAuth, app_with, dev_state, own_host_only, prepare_local_table, web,
};
use store::Config;

/// Tokens the banner prints last a day.
const TOKEN_TTL_SECONDS: i64 = 24 * 60 * 60;

#[tokio::main]
async fn main() -> ExitCode {
    // What the template's JWT authorizer checks, locally: LOCAL_JWT_SECRET, _ISSUER, _AUDIENCE.
    let auth = match LocalAuth::from_env() {
        Ok(auth) => auth,
        Err(error) => {
            eprintln!("dev-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut args = std::env::args().skip(1);
    if let Some(command) = args.next() {
        if command == "token" {
            let sub = args.next().unwrap_or_else(|| DEMO_USER.to_owned());
            println!("{}", auth.mint(&sub, TOKEN_TTL_SECONDS));
            return ExitCode::SUCCESS;
        }
        if command == "create-table" {
            return create_table().await;
        }
        eprintln!("usage: dev-server [token [SUB] | create-table]");
        return ExitCode::FAILURE;
    }
    api::telemetry::init(false);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("dev-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let address = format!("127.0.0.1:{port}");
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "dev-server: cannot listen on {address}: {error} (set PORT to use another port)"
            );
            return ExitCode::FAILURE;
        }
    };
    let cursors = match api::cursor::CursorKey::from_env(config.dynamodb_endpoint.is_some()) {
        Ok(cursors) => cursors,
        Err(error) => {
            eprintln!("dev-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    let state = dev_state(&config, cursors).await;
    if config.dynamodb_endpoint.is_some()
        && let Err(error) = local_table(state.store.client(), &config.table_name).await
    {
        eprintln!("dev-server: {error}");
        return ExitCode::FAILURE;
    }
    let token = auth.mint(DEMO_USER, TOKEN_TTL_SECONDS);
    println!(
        "\nFeedback Tracker API   http://{address}\n\
         Web app                http://{address}/\n\
         API docs (Swagger UI)  http://{address}/docs\n\
         Token for user `{DEMO_USER}` (24 h):\n\n  export TOKEN={token}\n\n\
         Try: curl -H \"Authorization: Bearer $TOKEN\" http://{address}/applications\n"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = axum::serve(
        listener,
        own_host_only(
            app_with(|_| state.clone(), auth.clone()).merge(web::router(auth)),
            &port,
        ),
    )
    .with_graceful_shutdown(shutdown)
    .await
    {
        eprintln!("dev-server: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `dev-server create-table`: the table of `TABLE_NAME` at `AWS_ENDPOINT_URL_DYNAMODB`.
async fn create_table() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) if config.dynamodb_endpoint.is_some() => config,
        Ok(_) => {
            eprintln!(
                "dev-server create-table: set AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local only)"
            );
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("dev-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    match local_table(&config.dynamodb_client().await, &config.table_name).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dev-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The table on DynamoDB Local, said to have been created or found.
async fn local_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    let created = prepare_local_table(client, table).await?;
    println!(
        "{} table `{table}`.",
        if created { "Created" } else { "Using" }
    );
    Ok(())
}
