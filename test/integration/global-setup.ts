// Replaced by the engines work (issue 3): starts or reuses the engines for integration tests.
export default async function globalSetup(): Promise<void> {}
