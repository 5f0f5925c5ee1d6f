import { resolveAuditOptions } from '../audit-options';
import { InvalidAuditOptionsError } from '../errors/invalid-audit-options.error';
import { resolveViewerOptions } from './viewer-options';

describe('resolveViewerOptions', () => {
  const resolve = (viewer: unknown) => {
    const problems: string[] = [];
    return { resolved: resolveViewerOptions(viewer as never, problems), problems };
  };

  it('is off unless set', () => {
    expect(resolve(undefined)).toEqual({ resolved: null, problems: [] });
    expect(resolve(false)).toEqual({ resolved: null, problems: [] });
  });

  it('applies the defaults and normalises the path', () => {
    expect(resolve({ path: '/audit/' })).toEqual({
      resolved: { path: '/audit', client: { graphqlPath: '/graphql', title: 'Audit viewer', login: null } },
      problems: [],
    });
  });

  it('completes the login mutation with the default argument names', () => {
    const { resolved, problems } = resolve({
      path: '/ops/audit',
      login: { mutation: 'login', tokenField: 'token' },
    });
    expect(problems).toEqual([]);
    expect(resolved?.client.login).toEqual({
      mutation: 'login',
      tokenField: 'token',
      usernameArg: 'username',
      passwordArg: 'password',
    });
  });

  it.each([
    [{ path: 'audit' }, 'viewer.path'],
    [{ path: '/' }, 'viewer.path'],
    [{ path: '/a/../b' }, 'viewer.path'],
    [{ path: '/audit?x=1' }, 'viewer.path'],
    [{ path: '/graphql' }, 'must differ'],
    [{ path: '/audit', graphqlPath: 'https://elsewhere.example/graphql' }, 'viewer.graphqlPath'],
    [{ path: '/audit', title: '' }, 'viewer.title'],
    [{ path: '/audit', login: 'login' }, 'viewer.login must be an object'],
    [{ path: '/audit', login: { mutation: 'login { x } y', tokenField: 'token' } }, 'viewer.login.mutation'],
    [{ path: '/audit', login: { mutation: 'login', tokenField: 'a b' } }, 'viewer.login.tokenField'],
    [{ path: '/audit', login: { mutation: 'login', tokenField: 't', usernameArg: '$u' } }, 'usernameArg'],
    ['/audit', 'viewer must be an object'],
  ])('refuses %j', (viewer, problem) => {
    expect(resolve(viewer).problems.join('\n')).toContain(problem);
  });

  it('is validated with the module options, at the boundary', () => {
    expect(resolveAuditOptions({ viewer: { path: '/audit' } }).viewer?.path).toBe('/audit');
    expect(resolveAuditOptions({}).viewer).toBeNull();
    expect(() => resolveAuditOptions({ viewer: { path: 'nope' } })).toThrow(InvalidAuditOptionsError);
  });
});
