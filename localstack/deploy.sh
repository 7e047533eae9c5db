#!/usr/bin/env bash
# Deploys the CDK app to LocalStack with cdklocal (aws-cdk-local), then smoke-tests the REST API.
# Runs where LocalStack runs (Docker + a LocalStack container); it cannot run on the CI machine
# (no Docker). See localstack/README.md for what each LocalStack tier can deploy.
#
#   localstack/deploy.sh                # stage dev
#   STAGE=prod localstack/deploy.sh
#   LOCALSTACK_ENDPOINT=http://host:4566 localstack/deploy.sh
#
# Needs: node + npm (this repo's dependencies installed), a running LocalStack 4.x with
# LOCALSTACK_AUTH_TOKEN set in the container for MSK, RDS, DocumentDB and ElastiCache (paid tiers),
# and the Lambda service able to start containers (LocalStack's docker socket).
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE="${STAGE:-dev}"
ENDPOINT="${LOCALSTACK_ENDPOINT:-http://localhost:4566}"
CDKLOCAL_VERSION="3.0.4"
CDK_CLI_VERSION="2.1148.1"

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ENDPOINT_URL="$ENDPOINT"
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-$ENDPOINT}"
export CDK_DEFAULT_ACCOUNT="${CDK_DEFAULT_ACCOUNT:-000000000000}"
export CDK_DEFAULT_REGION="$AWS_DEFAULT_REGION"

echo "LocalStack at $ENDPOINT"
health="$(curl -fsS "$ENDPOINT/_localstack/health")" || { echo "LocalStack is not reachable at $ENDPOINT" >&2; exit 1; }
echo "$health" | node -e '
  const h = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const need = ["lambda","apigateway","stepfunctions","events","dynamodb","opensearch","secretsmanager","sqs","sns","logs","iam","cloudformation","kafka","rds","docdb","elasticache","ec2"];
  const missing = need.filter((s) => !h.services || !(s in h.services) || h.services[s] === "disabled");
  if (missing.length) { console.error("LocalStack lacks: " + missing.join(", ") + " (MSK/RDS/DocumentDB/ElastiCache need a paid tier: set LOCALSTACK_AUTH_TOKEN)"); process.exit(2); }
  console.log("LocalStack " + (h.edition || "") + " " + (h.version || "") + ": all services present");
'

cdklocal() { npx --yes -p "aws-cdk-local@${CDKLOCAL_VERSION}" -p "aws-cdk@${CDK_CLI_VERSION}" cdklocal "$@"; }

cdklocal bootstrap "aws://${CDK_DEFAULT_ACCOUNT}/${AWS_DEFAULT_REGION}" -c stage="$STAGE"
cdklocal deploy --all -c stage="$STAGE" --require-approval never --outputs-file "cdk.out/localstack-${STAGE}-outputs.json"

api_id="$(aws --endpoint-url "$ENDPOINT" apigateway get-rest-apis --query "items[?name=='shop-${STAGE}-api'].id | [0]" --output text)"
base="$ENDPOINT/restapis/${api_id}/${STAGE}/_user_request_"
echo "API: $base"
echo "smoke: GET /products (public) -> expect 200 or 501 while the catalog is not built"
curl -sS -o /dev/null -w "%{http_code}\n" "$base/products"
echo "smoke: GET /orders without a token -> expect 401"
curl -sS -o /dev/null -w "%{http_code}\n" "$base/orders"
