import { randomBytes, randomUUID } from 'node:crypto';
import type { GraphqlClient, GraphqlResponse } from './graphql-client';
import { sleep } from './sleep';
import type { WriteLedger, WriteOutcome } from './write-ledger';

// Each audits exactly one event on success (UsersService.create / update are @Auditable, nothing
// they call is); a failure records one <ACTION>_FAILED event (recordFailures) with the same request id.
const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';

const PAUSE_AFTER_FAILURE_MS = 100;

/**
 * HTTP writers logged in as alice (admin of acme): concurrent loops of updateUser calls over a
 * set of users they created, each request with its own x-request-id, every answer in the ledger.
 */
export class Writers {
  private running = false;
  private loops: Promise<void>[] = [];
  private serial = 0;

  private constructor(
    private readonly client: GraphqlClient,
    private readonly token: string,
    readonly targets: string[],
    private readonly ledger: WriteLedger,
  ) {}

  /** Creates `users` users to write to (the CREATEs are ledger writes too). */
  static async prepare(client: GraphqlClient, ledger: WriteLedger, users: number): Promise<Writers> {
    const token = await client.login('alice');
    const writers = new Writers(client, token, [], ledger);
    const tag = randomBytes(3).toString('hex');
    for (let i = 0; i < users; i++) {
      const input = {
        username: `fault-${tag}-${i}`,
        email: `fault-${tag}-${i}@faults.test`,
        password: 'fault-password',
        role: 'user',
        tenantId: 'acme',
      };
      const { res } = await writers.send<{ createUser: { id: string } }>(CREATE, { input }, 'createUser');
      if (!res?.data?.createUser) throw new Error(`createUser failed: ${JSON.stringify(res)}`);
      writers.targets.push(res.data.createUser.id);
    }
    return writers;
  }

  /** One updateUser of a random target; its outcome is recorded. */
  async write(): Promise<WriteOutcome> {
    const target = this.targets[Math.floor(Math.random() * this.targets.length)];
    const input = { email: `w${++this.serial}-${randomBytes(3).toString('hex')}@faults.test` };
    return (await this.send(UPDATE, { id: target, input }, 'updateUser')).outcome;
  }

  /** `concurrency` loops, each writing one request after another until stop(). */
  start(concurrency: number): void {
    this.running = true;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** `count` writes, `concurrency` at a time; resolves when every answer is in. */
  async burst(count: number, concurrency = 10): Promise<void> {
    let left = count;
    const lane = async () => {
      while (left-- > 0) await this.write();
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // A failing app answers at once: no busy loop against it.
      if ((await this.write()) !== 'ok') await sleep(PAUSE_AFTER_FAILURE_MS);
    }
  }

  private async send<T>(
    query: string,
    variables: object,
    field: string,
  ): Promise<{ outcome: WriteOutcome; res?: GraphqlResponse<T> }> {
    const requestId = randomUUID();
    try {
      const res = await this.client.request<T>(query, variables, { token: this.token, requestId });
      const outcome = res.status >= 200 && res.status < 300 && !res.errors && res.data ? 'ok' : 'failed';
      this.ledger.record(requestId, outcome, `${field} ${res.status} ${JSON.stringify(res.errors)}`);
      return { outcome, res };
    } catch (error) {
      this.ledger.record(requestId, 'unanswered', `${field} ${String(error)}`);
      return { outcome: 'unanswered' };
    }
  }
}
