//! The routes `template.yaml` gives API Gateway are exactly the routes each function crate
//! serves (`<crate>::ROUTES`), every function is built and run the same way, and only the public
//! functions' routes skip the JWT authorizer (and each token route's CORS preflight, `OPTIONS`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_norway::Value;

/// Every function crate under `functions/` and the API Gateway path templates it serves.
/// The deployed functions, from the one list the dev server routes by.
use dev_server::FUNCTIONS;
use testkit::template::{crate_of, functions, granted, policies, template};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// `!Ref Name` (or `{Ref: Name}`) → `Name`.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Mapping(_) => value.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

fn crate_routes(folder: &str) -> Vec<String> {
    FUNCTIONS
        .iter()
        .find(|function| function.name == folder)
        .unwrap_or_else(|| panic!("functions/{folder} is not in health::FUNCTIONS"))
        .routes()
}

/// One `HttpApi` event of a function.
struct Route {
    function: String,
    event: String,
    path: String,
    method: String,
    api: Option<String>,
    authorizer: Option<String>,
}

fn routes(template: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for (name, function) in functions(template) {
        let events = function["Properties"]["Events"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{name}: Events"));
        for (event_name, event) in events {
            let event_name = event_name.as_str().unwrap().to_owned();
            if is_worker(function) {
                continue;
            }
            assert_eq!(
                event["Type"].as_str(),
                Some("HttpApi"),
                "{name}.{event_name}: every event of an API function is an HttpApi route"
            );
            let properties = &event["Properties"];
            routes.push(Route {
                function: name.clone(),
                path: properties["Path"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}.{event_name}: Path"))
                    .to_owned(),
                method: properties["Method"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}.{event_name}: Method"))
                    .to_owned(),
                api: reference(&properties["ApiId"]).map(str::to_owned),
                authorizer: properties["Auth"]["Authorizer"].as_str().map(str::to_owned),
                event: event_name,
            });
        }
    }
    routes
}

/// A function not behind the API: none of its events is an `HttpApi` route (the sweeper, which
/// the table's stream wakes).
fn is_worker(function: &Value) -> bool {
    function["Properties"]["Events"]
        .as_mapping()
        .is_some_and(|events| {
            events
                .values()
                .all(|event| event["Type"].as_str() != Some("HttpApi"))
        })
}

/// The folders under `functions/` that hold a crate.
fn function_folders() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn one_function_per_crate_folder() {
    let template = template();
    let mut seen = BTreeMap::new();
    let mut workers = BTreeSet::new();
    for (name, function) in functions(&template) {
        let folder = crate_of(&name, function);
        if is_worker(function) {
            workers.insert(folder.clone());
        }
        if let Some(other) = seen.insert(folder.clone(), name.clone()) {
            panic!("functions/{folder} is deployed twice: {other} and {name}");
        }
    }
    let deployed: BTreeSet<String> = seen.into_keys().collect();
    assert_eq!(
        deployed,
        function_folders(),
        "template.yaml has one function per folder under functions/"
    );
    let listed: BTreeSet<String> = FUNCTIONS.iter().map(|f| f.name.to_owned()).collect();
    let api_functions: BTreeSet<String> =
        function_folders().difference(&workers).cloned().collect();
    assert_eq!(
        listed, api_functions,
        "health::FUNCTIONS lists every function crate behind the API"
    );
    assert_eq!(
        workers,
        BTreeSet::from(["sweeper".to_owned()]),
        "the stream's worker"
    );
}

#[test]
fn each_function_gets_exactly_the_routes_its_crate_serves() {
    let template = template();
    let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
    let mut functions_by_name = BTreeMap::new();
    for (name, function) in functions(&template) {
        if !is_worker(function) {
            functions_by_name.insert(name.clone(), crate_of(&name, function));
        }
    }
    let mut preflights: BTreeSet<(String, String)> = BTreeSet::new();
    for route in routes(&template) {
        let folder = &functions_by_name[&route.function];
        if route.method == "OPTIONS" {
            // A token route's CORS preflight (checked with the authorizers below).
            assert!(
                preflights.insert((folder.clone(), route.path.clone())),
                "OPTIONS {} is declared twice",
                route.path
            );
            continue;
        }
        assert_eq!(
            route.method, "ANY",
            "{}.{}: every method goes to the function, which answers 405 itself",
            route.function, route.event
        );
        assert_eq!(
            route.api.as_deref(),
            Some("HttpApi"),
            "{}.{}: ApiId is !Ref HttpApi (without it SAM makes an API with no authorizer)",
            route.function,
            route.event
        );
        assert!(
            declared.insert((folder.clone(), route.path.clone())),
            "{} {} is declared twice",
            folder,
            route.path
        );
    }
    let served: BTreeSet<(String, String)> = functions_by_name
        .values()
        .flat_map(|folder| {
            crate_routes(folder)
                .into_iter()
                .map(move |path| (folder.clone(), path))
        })
        .collect();
    assert_eq!(
        declared, served,
        "template.yaml routes (left) differ from the functions' annotated routes (right)"
    );
    let token_routes: BTreeSet<(String, String)> = served
        .into_iter()
        .filter(|(folder, _)| FUNCTIONS.iter().any(|f| !f.public && f.name == folder))
        .collect();
    assert_eq!(
        preflights, token_routes,
        "every token route (right) has its OPTIONS preflight route, and only those (left)"
    );
}

#[test]
fn every_function_is_an_arm64_rust_bootstrap() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    for (name, function) in functions(&template) {
        let properties = &function["Properties"];
        // A function's own property overrides Globals.
        let effective = |key: &str| -> Value {
            match &properties[key] {
                Value::Null => globals[key].clone(),
                own => own.clone(),
            }
        };
        assert_eq!(
            effective("Runtime").as_str(),
            Some("provided.al2023"),
            "{name}: Runtime"
        );
        assert_eq!(
            effective("Architectures"),
            serde_norway::from_str::<Value>("[arm64]").unwrap(),
            "{name}: Architectures"
        );
        assert_eq!(
            effective("Handler").as_str(),
            Some("bootstrap"),
            "{name}: Handler"
        );
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{name}: Metadata.BuildMethod"
        );
    }
}

#[test]
fn only_the_health_routes_skip_the_jwt_authorizer() {
    let template = template();
    let api = &template["Resources"]["HttpApi"];
    assert_eq!(api["Type"].as_str(), Some("AWS::Serverless::HttpApi"));
    let auth = &api["Properties"]["Auth"];
    let default = auth["DefaultAuthorizer"]
        .as_str()
        .expect("HttpApi has a DefaultAuthorizer");
    assert!(
        auth["Authorizers"][default]["JwtConfiguration"].is_mapping(),
        "the default authorizer {default} is a JWT authorizer"
    );
    let mut functions_by_name = BTreeMap::new();
    for (name, function) in functions(&template) {
        functions_by_name.insert(name.clone(), crate_of(&name, function));
    }
    let mut public = BTreeSet::new();
    for route in routes(&template) {
        if route.method == "OPTIONS" {
            // A preflight carries no token: the function answers it without running a handler.
            assert_eq!(
                route.authorizer.as_deref(),
                Some("NONE"),
                "OPTIONS {} ({}) needs Auth: {{Authorizer: NONE}}",
                route.path,
                route.function
            );
            continue;
        }
        let is_public_crate = FUNCTIONS
            .iter()
            .any(|f| f.public && f.name == functions_by_name[&route.function]);
        match route.authorizer.as_deref() {
            Some("NONE") => {
                assert!(
                    is_public_crate,
                    "{} ({}) must not skip the authorizer",
                    route.path, route.function
                );
                public.insert(route.path);
            }
            None => assert!(
                !is_public_crate,
                "{} ({}) needs Auth: {{Authorizer: NONE}}",
                route.path, route.function
            ),
            Some(other) => panic!(
                "{} ({}) names authorizer {other}; routes use the default or NONE",
                route.path, route.function
            ),
        }
    }
    let public_routes: BTreeSet<String> = FUNCTIONS
        .iter()
        .filter(|f| f.public)
        .flat_map(|f| f.routes())
        .collect();
    assert_eq!(
        public, public_routes,
        "the public routes are the health routes"
    );
}

#[test]
fn references_read_in_both_spellings() {
    let value: Value = serde_norway::from_str("a: !Ref HttpApi\nb: {Ref: Other}").unwrap();
    assert_eq!(reference(&value["a"]), Some("HttpApi"));
    assert_eq!(reference(&value["b"]), Some("Other"));
}

/// Every grant of `function` is an inline `Allow` of named actions on named resources: no
/// policy template (`DynamoDBCrudPolicy`, …), wildcard or `Not…` that [`granted`] cannot read.
fn grants_are_plain_statements(name: &str, template: &Value, function: &Value) {
    for policy in policies(template, function) {
        let statements = policy["Statement"].as_sequence();
        assert!(
            statements.is_some(),
            "{name}: a policy that is not inline statements"
        );
        for statement in statements.into_iter().flatten() {
            let keys: BTreeSet<&str> = statement
                .as_mapping()
                .expect("a statement is a mapping")
                .keys()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["Action", "Effect", "Resource"]),
                "{name}"
            );
            assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{name}");
            let actions = match &statement["Action"] {
                Value::Sequence(list) => list.clone(),
                single => vec![single.clone()],
            };
            for action in actions {
                let action = action.as_str().expect("an action is a string");
                assert!(!action.contains('*'), "{name}: {action}");
            }
        }
    }
}

#[test]
fn the_functions_that_read_only_through_the_index_cannot_query_the_table() {
    // Analytics and the calendar feed read a user's items from the index alone; their point
    // reads and writes are of the calendar items, by key.
    let template = template();
    let functions = functions(&template);
    for name in ["AnalyticsFunction", "CalendarFunction"] {
        let function = functions[name];
        grants_are_plain_statements(name, &template, function);
        assert_eq!(
            granted(&template, function, "dynamodb:Query"),
            BTreeSet::from(["${Table.Arn}/index/GSI1".to_owned()]),
            "{name}"
        );
        assert_eq!(
            granted(&template, function, "dynamodb:GetItem"),
            BTreeSet::from(["table".to_owned()]),
            "{name}"
        );
    }
    // The public feed only reads.
    let calendar = functions["CalendarFunction"];
    for write in ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"] {
        assert!(
            granted(&template, calendar, &format!("dynamodb:{write}")).is_empty(),
            "{write}"
        );
    }
    // The reading of the grants finds a table-wide Query where there is one.
    assert!(
        granted(
            &template,
            functions["ApplicationsFunction"],
            "dynamodb:Query"
        )
        .contains("table")
    );
}

/// CloudFront's path pattern: `*` is any run of characters (`/` included), `?` one character.
fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => {
            pattern.len() == path.len()
                && pattern
                    .chars()
                    .zip(path.chars())
                    .all(|(want, got)| want == '?' || want == got)
        }
        Some((head, tail)) => {
            path.len() >= head.len()
                && path.is_char_boundary(head.len())
                && path_pattern_matches(head, &path[..head.len()])
                && (head.len()..=path.len())
                    .filter(|&at| path.is_char_boundary(at))
                    .any(|at| path_pattern_matches(tail, &path[at..]))
        }
    }
}

/// A request path the route template serves: `{id}` one segment, `{asset+}` several.
fn sample_path(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            s if s.starts_with('{') && s.ends_with("+}") => "a/b.css",
            s if s.starts_with('{') => "01J0000000000000000000000X",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn cloudfront_patterns_read_as_cloudfront_does() {
    assert!(path_pattern_matches("/applications", "/applications"));
    assert!(!path_pattern_matches("/applications", "/applications/1"));
    assert!(path_pattern_matches(
        "/applications/*",
        "/applications/1/feedback/2"
    ));
    assert!(!path_pattern_matches("/applications/*", "/applicationsX"));
    assert!(path_pattern_matches("/docs/?.css", "/docs/a.css"));
    assert!(!path_pattern_matches("/docs/?.css", "/docs/ab.css"));
    assert_eq!(sample_path("/docs/{asset+}"), "/docs/a/b.css");
}

/// The browser reaches the API through the web app's CloudFront distribution: a route with no
/// cache behaviour of its own would be served by the S3 origin (a 403 or the app's HTML, never
/// the API). Each route's first matching behaviour is the API origin, uncached, with every
/// method and the viewer's headers (`Authorization`); no API behaviour is left over from a
/// route that is gone, and the web app's own files stay with S3.
#[test]
fn every_api_route_reaches_the_api_through_cloudfront() {
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
    let template = template();
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    assert_eq!(
        config["DefaultCacheBehavior"]["TargetOriginId"].as_str(),
        Some("web")
    );
    let behaviors = config["CacheBehaviors"]
        .as_sequence()
        .expect("the distribution lists its cache behaviours");
    let pattern = |behavior: &Value| behavior["PathPattern"].as_str().unwrap().to_owned();
    let origin_of = |path: &str| {
        behaviors
            .iter()
            .find(|behavior| path_pattern_matches(&pattern(behavior), path))
            .map_or("web", |behavior| {
                behavior["TargetOriginId"].as_str().unwrap()
            })
    };
    let paths: BTreeSet<String> = routes(&template)
        .iter()
        .map(|route| sample_path(&route.path))
        .collect();
    for path in &paths {
        assert_eq!(
            origin_of(path),
            "api",
            "{path} needs a CloudFront behaviour"
        );
    }
    for path in ["/", "/index.html", "/assets/index-1a2b.js", "/favicon.svg"] {
        assert_eq!(origin_of(path), "web", "{path} is the web app's");
    }
    let methods = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"];
    for behavior in behaviors {
        let pattern = pattern(behavior);
        if behavior["TargetOriginId"].as_str() != Some("api") {
            continue;
        }
        assert!(
            paths
                .iter()
                .any(|path| path_pattern_matches(&pattern, path)),
            "{pattern}: no route is served there"
        );
        let allowed: BTreeSet<&str> = behavior["AllowedMethods"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{pattern}: AllowedMethods"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(allowed, methods.into(), "{pattern}: every method");
        assert_eq!(
            behavior["CachePolicyId"].as_str(),
            Some(CACHING_DISABLED),
            "{pattern}: API answers are not cached"
        );
        assert_eq!(
            behavior["OriginRequestPolicyId"].as_str(),
            Some(ALL_VIEWER_EXCEPT_HOST),
            "{pattern}: the viewer's headers reach the API"
        );
        assert_eq!(
            behavior["ViewerProtocolPolicy"].as_str(),
            Some("https-only"),
            "{pattern}"
        );
    }
}
