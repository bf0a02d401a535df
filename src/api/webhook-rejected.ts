/** Why a webhook request was refused with a 400: the `error` field of the answer and the log's `reason`. */
export type WebhookRejectionCode =
  | 'missing_signature'
  | 'malformed_signature'
  | 'expired_signature'
  | 'future_signature'
  | 'invalid_signature'
  | 'malformed_json'
  | 'not_an_event';

export class WebhookRejected extends Error {
  override readonly name = 'WebhookRejected';
  constructor(
    readonly code: WebhookRejectionCode,
    message: string,
  ) {
    super(message);
  }
}
