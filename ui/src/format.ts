// Times and durations as people read them in a table.

export function age(sinceMillis: number | undefined, now = Date.now()): string {
  if (!sinceMillis) return "";
  return duration(now - sinceMillis);
}

export function duration(millis: number | undefined): string {
  if (millis === undefined || millis < 0) return "";
  const seconds = Math.floor(millis / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, "0")}h`;
}

export function timestamp(millis: number | undefined): string {
  if (!millis) return "";
  return new Date(millis).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

// Cents above a dollar; below, enough decimals for two significant digits (a few seconds of a
// small instance cost millionths of a dollar).
export function dollars(value: number | undefined): string {
  if (value === undefined) return "";
  if (value === 0) return "$0";
  if (value >= 1) return `$${value.toFixed(2)}`;
  const decimals = Math.min(10, Math.max(4, 1 - Math.floor(Math.log10(Math.abs(value)))));
  return `$${value.toFixed(decimals)}`;
}

export const JOB_STATUSES = [
  "SUBMITTED",
  "PENDING",
  "RUNNABLE",
  "STARTING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
] as const;

// ListJobs lists one status (RUNNING) unless given a filter; with this one, which every job
// passes, it lists them all.
export const EVERY_STATUS = [{ name: "AFTER_CREATED_AT", values: ["0"] }];
