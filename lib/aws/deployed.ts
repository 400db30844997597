// The AWS side of each handler. The adapters it needs (Athena, IAM, DynamoDB, Step Functions)
// are built by the runbook, revocation and orchestration issues; until then a deployed
// function fails loudly at its first invocation, naming what is missing, rather than
// pretending to work. The template wires these handlers already.

export class AdapterNotAvailableError extends Error {
  override name = 'AdapterNotAvailableError';
}

export function deployedHandler(
  functionName: string,
  adapters: string[],
): (event: unknown) => Promise<never> {
  return async () => {
    throw new AdapterNotAvailableError(
      `revoker-${functionName} needs the AWS adapters for ${adapters.join(', ')}, which this version does not include yet`,
    );
  };
}
