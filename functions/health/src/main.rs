#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    health::FUNCTION.run().await
}
