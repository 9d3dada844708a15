#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    applications::FUNCTION.run().await
}
