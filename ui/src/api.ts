// gleaner's API as the dashboard calls it: the same endpoint as the AWS SDKs, authorised by the
// session cookie of the sign-in (plus the header that marks the request as the dashboard's own).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => {};
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "x-gleaner-session": "1",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { message: text };
  }
  if (!response.ok) {
    const code = response.headers.get("x-amzn-errortype")?.split(":")[0] ?? parsed.__type ?? "Error";
    const missingSession =
      response.status === 401 ||
      (response.status === 403 && /MissingAuthenticationToken|UnrecognizedClient/.test(code));
    if (missingSession && !path.startsWith("/gleaner/v1/session")) onSignedOut();
    throw new ApiError(response.status, code, parsed.message ?? parsed.Message ?? text);
  }
  return parsed;
}

export const get = (path: string): Promise<any> => call("GET", path);

// An AWS Batch operation (rest-json): POST /v1/<operation in lower case>.
export const batch = (operation: string, body: unknown): Promise<any> =>
  call("POST", `/v1/${operation.toLowerCase()}`, body);

// A CloudWatch Logs operation (json-1.1).
export const logs = (operation: string, body: unknown): Promise<any> =>
  call("POST", "/", body, {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": `Logs_20140328.${operation}`,
  });

export interface Session {
  signedIn: boolean;
  authenticationRequired: boolean;
  accessKeyId?: string;
}

export const session = (): Promise<Session> => call("GET", "/gleaner/v1/session");
export const signIn = (accessKeyId: string, secretAccessKey: string): Promise<Session> =>
  call("POST", "/gleaner/v1/session", { accessKeyId, secretAccessKey });
export const signOut = (): Promise<unknown> => call("DELETE", "/gleaner/v1/session");

// Every page of a paged Batch listing.
export async function allPages(operation: string, body: Record<string, unknown>, key: string) {
  const items: any[] = [];
  let nextToken: string | undefined;
  do {
    const page = await batch(operation, { ...body, ...(nextToken ? { nextToken } : {}) });
    items.push(...(page[key] ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}
