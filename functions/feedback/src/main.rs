#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    feedback::FUNCTION.run().await
}
