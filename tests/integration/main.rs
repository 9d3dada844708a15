//! The integration tests, as one test binary: the SDK and the functions are linked once, and
//! one DynamoDB Local (the harness's, started on first use) serves every test, each in its own
//! table, all in parallel. One module per area.

mod analytics;
mod applications;
mod architecture;
mod cascade;
mod children;
mod events;
mod hardening;
mod outages;
mod paths;
mod retries;
mod system;
mod template;
mod template_routes;
mod transfer;
