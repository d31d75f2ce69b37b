/**
 * The vault as the shared home of an Anaplan OAuth credential (issue 13 item 5): every worker and
 * `ping` refreshing the same rotating refresh token goes through `vault.exclusiveUpdate`, so they
 * take turns, each sees the token the previous one stored, and none spends a used one.
 */
import type { OAuthTokenStore, StoredOAuthTokens } from '../anaplan/auth';
import { CredentialShapeError } from './errors';
import type { CredentialVault } from './vault';

export function vaultOAuthTokenStore(vault: Pick<CredentialVault, 'exclusiveUpdate'>, name: string): OAuthTokenStore {
  return {
    exclusive: <T>(decide: (stored: StoredOAuthTokens) => Promise<{ save?: StoredOAuthTokens; result: T }>) =>
      vault.exclusiveUpdate(name, 'anaplan', async (current) => {
        if (current.type !== 'oauth')
          throw new CredentialShapeError(`anaplan credentials "${name}" are ${current.type}, not oauth`);
        const { save, result } = await decide({
          refreshToken: current.refreshToken,
          accessToken: current.accessToken,
          accessTokenExpiresAt: current.accessTokenExpiresAt,
        });
        return { patch: save, result };
      }),
  };
}
