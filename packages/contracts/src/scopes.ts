// OAuth scopes: one read and one modify scope per resource.
export const SCOPES = ['read:user', 'modify:user', 'read:transaction', 'modify:transaction'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
