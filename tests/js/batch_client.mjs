// Drives gleaner with the AWS SDK for JavaScript v3 (the current Batch model): one call per
// command-line request, its result or error printed as one JSON line. Used by
// tests/integration/test_js_sdk.py.
//
//   node batch_client.mjs ENDPOINT ACCESS_KEY_ID SECRET OPERATION [JSON_INPUT]
import { BatchClient } from "@aws-sdk/client-batch";
import * as batch from "@aws-sdk/client-batch";

const [endpoint, accessKeyId, secretAccessKey, operation, input = "{}"] = process.argv.slice(2);
const client = new BatchClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});
const Command = batch[`${operation}Command`];
if (!Command) {
  console.log(JSON.stringify({ error: "NoSuchCommand", message: operation }));
  process.exit(2);
}
try {
  const output = await client.send(new Command(JSON.parse(input)));
  delete output.$metadata;
  console.log(JSON.stringify({ output }));
} catch (error) {
  console.log(JSON.stringify({
    error: error.name,
    message: error.message,
    status: error.$metadata?.httpStatusCode,
  }));
}
