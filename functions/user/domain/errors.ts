import { ConflictError, UnauthorizedError, type FieldIssue } from '../../shared/errors';

/** 409 EMAIL_TAKEN: an account with this (normalised) email exists. `issues` names `email`. */
export class EmailTakenError extends ConflictError {
  readonly issues: readonly FieldIssue[] = [{ path: 'email', message: 'already registered' }];
  constructor() {
    super('email: an account with this email already exists', 'EMAIL_TAKEN');
    this.name = 'EmailTakenError';
  }
}

/** The one 401 of a failed log in: the same for an unknown email and a wrong password. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('invalid email or password');
    this.name = 'InvalidCredentialsError';
  }
}
