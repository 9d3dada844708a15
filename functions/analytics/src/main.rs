#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    analytics::FUNCTION.run().await
}
