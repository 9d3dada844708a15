#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rejections::FUNCTION.run().await
}
