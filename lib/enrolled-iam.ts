// IAM across the accounts revoker is enrolled in: each read and change goes to the gateway of
// the account it names (its own credentials at home, the member role elsewhere), and an
// account that is not enrolled is refused before anything is read or changed there. The
// composition (lib/compose/aws/iam.ts, the local pipeline) chooses how a gateway is made.
import { type Accounts, type Enrolment, enrolmentOf, type Home } from './domain/accounts.ts';
import type { RevocationAction } from './domain/revocation/actions.ts';
import { AccountNotEnrolledError, type IamGateway, type IamScope } from './ports.ts';

export type EnrolledEnrolment = Exclude<Enrolment, { kind: 'not-enrolled' }>;

export class EnrolledIam implements IamGateway {
  private readonly gateways = new Map<string, IamGateway>();

  constructor(
    private readonly accounts: Accounts | undefined,
    private readonly home: Home,
    /** The gateway for an enrolled account; made once per account and kept. */
    private readonly make: (accountId: string, enrolment: EnrolledEnrolment) => IamGateway,
    /** Whether revoker's own account is acted in though not listed (see withHome). */
    private readonly homeAlways = false,
  ) {}

  /**
   * The same accounts, and revoker's own account whether or not it is enrolled: for what only
   * ever happens there and people asked for — a just-in-time grant and its end (the grant guard
   * lives there), and reading who a caller is. Cases the detection rules open never use it.
   */
  withHome(): EnrolledIam {
    return new EnrolledIam(this.accounts, this.home, this.make, true);
  }

  /** The gateway acting in `accountId`, or AccountNotEnrolledError saying why there is none. */
  in(accountId: string): IamGateway {
    const made = this.gateways.get(accountId);
    if (made) return made;
    const listed = enrolmentOf(this.accounts, this.home, accountId);
    const enrolment: Enrolment =
      listed.kind === 'not-enrolled' && this.homeAlways && accountId === this.home.accountId
        ? { kind: 'own', account: null }
        : listed;
    if (enrolment.kind === 'not-enrolled') throw new AccountNotEnrolledError(enrolment.reason);
    const gateway = this.make(accountId, enrolment);
    this.gateways.set(accountId, gateway);
    return gateway;
  }

  /** The member role assumed in `accountId`, or null at home (and for an account not enrolled). */
  actingAs(accountId: string): string | null {
    const enrolment = enrolmentOf(this.accounts, this.home, accountId);
    return enrolment.kind === 'member-role' ? `through ${enrolment.roleArn}` : null;
  }

  async readState(scope: IamScope) {
    return this.in(scope.accountId).readState(scope);
  }

  async perform(accountId: string, action: RevocationAction): Promise<void> {
    return this.in(accountId).perform(accountId, action);
  }
}
