#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    calendar::FUNCTION.run().await
}
