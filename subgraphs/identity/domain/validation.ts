import { inputError } from '../../../platform/errors.ts';
import { isOrgRole, isPlatformRole, type Role } from '../../../platform/auth/roles.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const normalizeEmail = (email: string, field = 'input.email'): string => {
  const value = email.trim().toLowerCase();
  if (!EMAIL.test(value) || value.length > 254) throw inputError(field, `"${email.slice(0, 80)}" is not a valid email address`, 'Use an address like name@example.com.');
  return value;
};

export const checkName = (name: string, field: string, min = 1, max = 120): string => {
  const value = name.trim();
  if (value.length < min || value.length > max) throw inputError(field, `${field} must be ${min}–${max} characters`, `Give a name between ${min} and ${max} characters.`);
  return value;
};

/** Derives a slug from a name: lower-case ASCII letters and digits joined by dashes. */
export const slugify = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');

export const checkSlug = (slug: string): string => {
  if (!SLUG.test(slug) || slug.length < 2) throw inputError('input.slug', `"${slug.slice(0, 80)}" is not a valid slug`, 'Use 2–63 characters: a-z, 0-9 and dashes, not starting or ending with a dash.');
  return slug;
};

export const checkPassword = (password: string, field = 'input.password'): string => {
  if (password.length < 10) throw inputError(field, 'Password is too short', 'Use at least 10 characters.');
  if (password.length > 256) throw inputError(field, 'Password is too long', 'Use at most 256 characters.');
  return password;
};

export const checkMinGroupSize = (size: number | null | undefined): number => {
  const value = size ?? 5;
  if (!Number.isInteger(value) || value < 3 || value > 1000) throw inputError('input.minGroupSize', 'minGroupSize must be an integer ≥ 3', 'Privacy needs groups of at least 3 people; 5 is the default.');
  return value;
};

export const checkTimeZone = (timeZone: string | null | undefined): string => {
  const value = timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw inputError('input.timeZone', `Unknown time zone "${value.slice(0, 60)}"`, 'Use an IANA time zone name such as Europe/Berlin or America/New_York.');
  }
  return value;
};

export const checkLocale = (locale: string | null | undefined): string => {
  const value = locale ?? 'en-US';
  try {
    return Intl.getCanonicalLocales(value)[0] ?? 'en-US';
  } catch {
    throw inputError('input.locale', `Unknown locale "${value.slice(0, 40)}"`, 'Use a BCP 47 tag such as en-US or de-DE.');
  }
};

/**
 * Roles must fit the organization: client roles in client organizations, platform roles (and
 * PLATFORM_ADMIN) only in the platform organization. At least one role.
 */
export const checkRoles = (roles: readonly string[], platformOrganization: boolean): Role[] => {
  if (roles.length === 0) throw inputError('input.roles', 'At least one role is required', 'Give the user a role such as MEMBER.');
  const unique = [...new Set(roles)];
  for (const role of unique) {
    const fits = platformOrganization ? isPlatformRole(role) || role === 'PLATFORM_ADMIN' : isOrgRole(role);
    if (!fits) {
      throw inputError('input.roles', `Role ${role} does not fit ${platformOrganization ? 'the platform organization' : 'a client organization'}`, platformOrganization ? 'Platform users take platform roles (SALES_AGENT, ..., PLATFORM_ADMIN).' : 'Client users take OWNER, ADMIN, MEMBER or VIEWER.');
    }
  }
  return unique as Role[];
};

export const APP_SCOPES = ['org:read', 'org:write'] as const;

export const checkAppScopes = (scopes: readonly string[]): string[] => {
  const unique = [...new Set(scopes)];
  if (!unique.length) throw inputError('input.scopes', 'At least one scope is required', 'Use org:read, org:write or both.');
  for (const scope of unique) {
    if (!(APP_SCOPES as readonly string[]).includes(scope)) throw inputError('input.scopes', `Scope ${scope} cannot be granted to an app`, 'Apps may hold org:read and org:write.');
  }
  return unique.sort();
};
