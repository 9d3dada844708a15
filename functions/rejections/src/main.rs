#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api::run_lambda(rejections::router).await
}
