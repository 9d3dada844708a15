#!/usr/bin/env bash
# `make deploy-web`: uploads web/dist to the stack's bucket with its config.json (the user pool's
# hosted UI domain and client id), then invalidates what CloudFront must not serve stale.
# Needs the AWS CLI v2 with credentials and a deployed stack (STACK, default feedback-tracker).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${STACK:-feedback-tracker}
die() { echo "make deploy-web: $*" >&2; exit 1; }
command -v aws >/dev/null || die "the AWS CLI v2 is needed (docs/deploy.md)"
[ -f web/dist/index.html ] || die "web/dist is missing: run make web"

stack() { aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].$1" --output text; }
output() { stack "Outputs[?OutputKey=='$1'].OutputValue"; }
bucket=$(output WebBucketName)
distribution=$(output DistributionId)
app_url=$(output AppUrl)
auth_domain=$(output AuthDomain)
client_id=$(output UserPoolClientId)
[ -n "$bucket" ] && [ "$bucket" != None ] || die "stack $STACK has no WebBucketName output: deploy template.yaml first"
[ -n "$auth_domain" ] && [ "$auth_domain" != None ] ||
  die "stack $STACK has no Cognito user pool (JwtIssuer is set); the web app signs in only with the pool's hosted UI"

# config.json: read by the app at start (never cached), so one build serves every stack.
config=$(mktemp)
trap 'rm -f "$config"' EXIT
printf '{"auth": {"kind": "cognito", "domain": "%s", "client_id": "%s", "scopes": ["openid", "email"]}}\n' \
  "$auth_domain" "$client_id" >"$config"

# Hashed assets first (immutable), then the pages that name them, so no page points at a
# missing file. Old assets stay for tabs still running the previous version.
aws s3 sync web/dist/assets "s3://$bucket/assets" --only-show-errors \
  --cache-control "public, max-age=31536000, immutable"
aws s3 cp web/dist/favicon.svg "s3://$bucket/favicon.svg" --only-show-errors --cache-control "public, max-age=86400"
aws s3 cp "$config" "s3://$bucket/config.json" --only-show-errors --cache-control no-cache --content-type application/json
aws s3 cp web/dist/index.html "s3://$bucket/index.html" --only-show-errors --cache-control no-cache \
  --content-type "text/html; charset=utf-8"
aws cloudfront create-invalidation --distribution-id "$distribution" \
  --paths / /index.html /config.json --query Invalidation.Id --output text >/dev/null

echo "Web app uploaded to s3://$bucket: $app_url"
web_app_url=$(stack "Parameters[?ParameterKey=='WebAppUrl'].ParameterValue")
if [ "$web_app_url" != "$app_url" ]; then
  echo "Sign-in is off until the user pool knows the app's URL: sam deploy --guided with WebAppUrl=$app_url, answers saved (a --parameter-overrides is not kept: the next plain sam deploy would turn sign-in off again)" >&2
fi
