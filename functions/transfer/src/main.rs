#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    transfer::FUNCTION.run().await
}
