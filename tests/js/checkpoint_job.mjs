// The checkpointing job of ../shared/tutorials/aws-batch-spot-cost-savings.md ("Step 4: Make Your
// Jobs Interruption-Tolerant"), ported line for line to the AWS SDK for JavaScript v3, which (unlike
// Debian's boto3) honours AWS_ENDPOINT_URL: like the Python original it configures nothing, so the
// SDK finds its endpoint, region and credentials in what the job's environment gives it. The two
// helpers the tutorial leaves undefined are filled in (ITEMS work items of ITEM_MS each), and the
// SIGTERM handler exits 143 instead of 0 so the retry strategy applies (the tutorials README says
// why). Run by tests/integration/test_job_network.py as a gleaner job.
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const s3 = new S3Client({});
const CHECKPOINT_BUCKET = process.env.CHECKPOINT_BUCKET ?? "my-checkpoint-bucket";
const JOB_ID = process.env.AWS_BATCH_JOB_ID ?? "local";

async function saveCheckpoint(state) {
  // Save processing state to S3 so we can resume after interruption
  // (A copy: the loop goes on changing `state` while the upload is in flight, which Python's
  // synchronous original never does; the line printed must be what was saved.)
  const saved = { ...state };
  await s3.send(new PutObjectCommand({
    Bucket: CHECKPOINT_BUCKET,
    Key: `checkpoints/${JOB_ID}.json`,
    Body: JSON.stringify(saved),
  }));
  console.log(`Checkpoint saved: processed ${saved.items_processed} items`);
}

async function loadCheckpoint() {
  // Try to load a checkpoint from a previous run
  try {
    const obj = await s3.send(new GetObjectCommand({
      Bucket: CHECKPOINT_BUCKET,
      Key: `checkpoints/${JOB_ID}.json`,
    }));
    const state = JSON.parse(await obj.Body.transformToString());
    console.log(`Resuming from checkpoint: ${state.items_processed} items already done`);
    return state;
  } catch (error) {
    if (error instanceof NoSuchKey) return { items_processed: 0, last_offset: 0 };
    throw error;
  }
}

// The helpers the tutorial leaves to the reader.
const loadWorkItems = () => Array.from({ length: Number(process.env.ITEMS ?? 1000) }, (_, i) => i);
const processItem = () => new Promise((done) => setTimeout(done, Number(process.env.ITEM_MS ?? 10)));

let currentState;
process.on("SIGTERM", async () => {
  // Handle SIGTERM gracefully - save checkpoint before exit
  console.log("Received SIGTERM (likely Spot interruption). Saving checkpoint...");
  await saveCheckpoint(currentState);
  process.exit(143);
});

currentState = await loadCheckpoint();
const items = loadWorkItems();
for (let i = currentState.items_processed; i < items.length; i++) {
  await processItem(items[i]);
  currentState.items_processed = i + 1;
  currentState.last_offset = i;
  // Checkpoint every 100 items
  if ((i + 1) % 100 === 0) await saveCheckpoint(currentState);
}
console.log(`Done! Processed ${currentState.items_processed} items total`);
