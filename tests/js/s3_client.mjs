// Drives gleaner's S3 API with the AWS SDK for JavaScript v3 (@aws-sdk/client-s3): one call per
// command-line request, its result or error printed as one JSON line (the last line of stdout).
// Used by tests/integration/test_js_s3.py.
//
//   node s3_client.mjs ENDPOINT ACCESS_KEY_ID SECRET OPERATION [JSON_INPUT]
//
// PutObject takes Body from the input as a string (the SDK then sends the checksum in a header).
// With "BodyAsStream": true in the input, Body is sent as a Node stream instead (the SDK then sends
// it aws-chunked with the checksum in a trailer); ContentLength is set from the string's length.
// GetObject returns Body as a string (transformToString()).
import { Readable } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";
import * as s3 from "@aws-sdk/client-s3";

const [endpoint, accessKeyId, secretAccessKey, operation, input = "{}"] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
  forcePathStyle: true,
  maxAttempts: 1,
});
const Command = s3[`${operation}Command`];
if (!Command) {
  console.log(JSON.stringify({ error: "NoSuchCommand", message: operation }));
  process.exit(2);
}
const request = JSON.parse(input);
if (request.BodyAsStream) {
  delete request.BodyAsStream;
  const bytes = Buffer.from(request.Body ?? "", "utf8");
  request.Body = Readable.from([bytes]);
  request.ContentLength = bytes.length;
}
try {
  const output = await client.send(new Command(request));
  if (output.Body && typeof output.Body.transformToString === "function") {
    output.Body = await output.Body.transformToString();
  }
  const status = output.$metadata?.httpStatusCode;
  delete output.$metadata;
  console.log(JSON.stringify({ output, status }));
} catch (error) {
  console.log(JSON.stringify({
    error: error.name,
    code: error.Code,
    message: error.message,
    status: error.$metadata?.httpStatusCode,
  }));
}
