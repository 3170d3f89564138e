import { outcomeOfHttpStatus, type CrmAttemptOutcome, type CrmField, type CrmOperation } from '../domain/crm.ts';

/** One outbound CRM write, already mapped to the organization's CRM field names. */
export interface CrmRequest {
  operation: CrmOperation;
  organizationId: string;
  /** The CRM record the write is about (the opportunity: a presales prospect id). */
  recordKey: string;
  /** The delivery id: the same on every retry and replay, so the CRM can drop duplicates. */
  idempotencyKey: string;
  fields: CrmField[];
  /** Optimistic check for the CRM: apply only if its record still has this value (stage changes). */
  precondition: CrmField | null;
  /** Set after a person chose "push ours" on a conflict: the CRM should skip the precondition. */
  force: boolean;
}

/** The result of one attempt. `detail` is kept on the attempt log (bounded). */
export interface CrmSendResult {
  outcome: CrmAttemptOutcome;
  detail: string;
  httpStatus: number | null;
  /** On CONFLICT: what the CRM says its record holds, as it answered (bounded text). */
  remote: string | null;
}

/** The CRM connector port. Adapters: HTTP (JSON to a configurable endpoint) and in-memory recording (tests). */
export interface CrmConnector {
  readonly kind: 'HTTP' | 'RECORDING';
  send(request: CrmRequest): Promise<CrmSendResult>;
}

const MAX_DETAIL = 500;
const bounded = (text: string): string => (text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL - 1)}…`);

/**
 * The HTTP connector: POSTs the request as JSON to `endpointUrl` with an `Idempotency-Key` header,
 * does not follow redirects, and gives up after `timeoutMs` (counted as retryable, like network
 * errors). The status decides the outcome (`outcomeOfHttpStatus`).
 */
export const createHttpCrmConnector = (endpointUrl: string, options: { timeoutMs?: number } = {}): CrmConnector => ({
  kind: 'HTTP',
  async send(request) {
    const body = JSON.stringify({
      operation: request.operation,
      organizationId: request.organizationId,
      recordKey: request.recordKey,
      idempotencyKey: request.idempotencyKey,
      fields: Object.fromEntries(request.fields.map((f) => [f.name, f.value])),
      precondition: request.precondition,
      force: request.force,
    });
    let response: Response;
    try {
      response = await fetch(endpointUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': request.idempotencyKey, 'user-agent': 'cognitive-mesh-crm-sync/1' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.name === 'TimeoutError' ? `timed out after ${options.timeoutMs ?? 10_000} ms` : `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`) : String(error);
      return { outcome: 'RETRYABLE', detail: bounded(`network error: ${reason}`), httpStatus: null, remote: null };
    }
    const text = bounded(await response.text().catch(() => ''));
    const outcome = outcomeOfHttpStatus(response.status);
    return { outcome, detail: bounded(`HTTP ${response.status}${text ? `: ${text}` : ''}`), httpStatus: response.status, remote: outcome === 'CONFLICT' ? text : null };
  },
});

/**
 * The in-memory recording connector (unit tests): records every request and answers from a script,
 * one result per call (the last one repeats), or DELIVERED when the script is empty.
 */
export const createRecordingCrmConnector = (script: ReadonlyArray<Pick<CrmSendResult, 'outcome'> & Partial<CrmSendResult>> = []): CrmConnector & { requests: CrmRequest[] } => {
  const requests: CrmRequest[] = [];
  return {
    kind: 'RECORDING',
    requests,
    async send(request) {
      requests.push(structuredClone(request));
      const step = script.length ? script[Math.min(requests.length - 1, script.length - 1)] : { outcome: 'DELIVERED' as const };
      return { outcome: step.outcome, detail: step.detail ?? `recorded (${step.outcome})`, httpStatus: step.httpStatus ?? null, remote: step.remote ?? null };
    },
  };
};
