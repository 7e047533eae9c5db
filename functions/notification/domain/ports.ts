/** The port a notification is sent through (adapters/: local, and an AWS one when built). */
export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  /** Plain text. */
  readonly body: string;
  /** The notification row's id: stable across redeliveries of one event. */
  readonly notificationId: string;
}

export interface EmailSender {
  /** Resolves with the provider's message id once the provider accepted the message; throws otherwise. */
  send(message: EmailMessage): Promise<{ readonly messageId: string }>;
}

/** The notifications table's row, as the consumer reads it. */
export interface NotificationRow {
  readonly id: string;
  readonly status: 'PENDING' | 'SENT' | 'NO_ADDRESS';
  readonly recipient: string | null;
  readonly attempts: number;
}
