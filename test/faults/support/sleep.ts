/** A pause of a scenario's own timeline (writing for a while, an outage's length), never a wait for a state. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
