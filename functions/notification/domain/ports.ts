/** The port a notification is sent through (adapters/: local, and an AWS one when built). */
export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  /** Plain text. */
  readonly body: string;
  /** The notification row's id: stable across redeliveries of one event. */
  readonly notificationId: string;
}

/**
 * The provider refused this message for good (a bad or unverified recipient, a rejected content):
 * sending it again would be refused again. The consumer marks its row FAILED, sends the event to
 * dead-letter and goes on with the batch. Anything else a sender throws (throttling, an outage, an
 * account-level refusal such as an unverified sender identity) fails the batch, which is delivered
 * again: nothing is dropped while the cause is outside the message.
 */
export class EmailRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailRejectedError';
  }
}

export interface EmailSender {
  /** Resolves with the provider's message id once the provider accepted the message; throws otherwise. */
  send(message: EmailMessage): Promise<{ readonly messageId: string }>;
}

/** The notifications table's row, as the consumer reads it. */
export interface NotificationRow {
  readonly id: string;
  readonly status: 'PENDING' | 'SENT' | 'NO_ADDRESS' | 'FAILED';
  readonly recipient: string | null;
  readonly attempts: number;
}
