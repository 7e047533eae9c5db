// Integration test files share one database, and every platform a file starts runs the
// SagaStepRecordRetention schedule. Only test/integration/saga/step-retention.test.ts backdates
// orders past a retention, and it sets its own (30 days) before it loads anything. Everywhere else
// the retention is ten years, so no other file's run deletes step records or moves the shared
// watermark past where that file puts it.
process.env.STEP_RECORD_RETENTION_DAYS ??= '3650';
