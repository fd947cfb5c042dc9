import { type Identity, shownEmail, type User } from '../../core/users/user.js';
import { Keyword, Uuid, type WireValue } from './transit.js';

const initial = (name: string | null): string => (name === null ? '' : (Array.from(name.trim())[0] ?? ''));

/** Flex's default display name: the first name and the last name's initial ("Ada L"). */
const defaultDisplayName = (user: User): string | null => {
  const parts = [user.firstName, initial(user.lastName)].filter((part) => part !== null && part !== '');
  return parts.length === 0 ? null : parts.join(' ');
};

/** Initials ("AL"), as Flex's `abbreviatedName`. */
const abbreviatedName = (user: User): string => `${initial(user.firstName)}${initial(user.lastName)}`.toUpperCase();

/**
 * The `currentUser` resource. Without `expand`, Flex answers a write with only the id and type.
 * `identityProviders[].userId` is the user's id at that IdP (the identity's subject).
 */
export const currentUserResource = (user: User, identities: readonly Identity[], expand: boolean): WireValue => {
  const ref = { id: new Uuid(user.id), type: new Keyword('currentUser') };
  if (!expand) return { data: ref };
  return {
    data: {
      ...ref,
      attributes: {
        banned: user.status === 'disabled',
        deleted: false,
        createdAt: user.createdAt,
        email: shownEmail(user),
        emailVerified: user.emailVerified,
        pendingEmail: null,
        identityProviders: identities.map((identity) => ({ idpId: identity.idp, userId: identity.subject })),
        profile: {
          firstName: user.firstName,
          lastName: user.lastName,
          displayName: user.displayName ?? defaultDisplayName(user),
          abbreviatedName: abbreviatedName(user),
          bio: user.profile.bio ?? null,
          publicData: user.profile.publicData ?? {},
          protectedData: user.profile.protectedData ?? {},
          privateData: user.profile.privateData ?? {},
          metadata: user.profile.metadata ?? {},
        },
      },
    },
  };
};
